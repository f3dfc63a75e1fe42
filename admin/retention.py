"""How long each kind of data is kept: periods the consortium admin sets, with the defaults of issue 13."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from muni.clock import to_utc
from muni.db import EXCLUDED, upsert

metadata = MetaData()

retention_periods = Table(
    "retention_periods",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("days", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, nullable=True),  # a console user's id; None: the command line
)

# kind -> (Danish label, default days)
KINDS = {
    "conversations": ("Samtaletekster og Rasas samtalehændelser", 30),
    "calls_and_sms": ("Opkalds- og SMS-log, SMS-udbakke", 30),
    "sandbox_bookings": ("Kontaktoplysninger i sandkassens bookinger", 7),
    "audit": ("Revisionslog", 730),
}
MIN_DAYS, MAX_DAYS = 1, 3650


@dataclass(frozen=True)
class RetentionPeriods:
    conversations: timedelta = timedelta(days=KINDS["conversations"][1])
    calls_and_sms: timedelta = timedelta(days=KINDS["calls_and_sms"][1])
    sandbox_bookings: timedelta = timedelta(days=KINDS["sandbox_bookings"][1])
    audit: timedelta = timedelta(days=KINDS["audit"][1])


class RetentionSettings:
    """The periods in the gateway's database (revision 0005_retention); a kind never set keeps its default."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def periods(self) -> RetentionPeriods:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(select(retention_periods.c.kind, retention_periods.c.days))).all()
        periods = RetentionPeriods()
        for kind, days in rows:
            if kind in KINDS:
                periods = replace(periods, **{kind: timedelta(days=int(days))})
        return periods

    async def set(self, kind: str, days: int, at: datetime, *, by: int | None) -> None:
        """ValueError for an unknown kind or a period outside 1–3650 days."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of data: {kind}")
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise ValueError(f"a period is {MIN_DAYS}–{MAX_DAYS} days")
        await upsert(
            self._engine,
            retention_periods,
            {"kind": kind, "days": days, "updated_at": to_utc(at), "updated_by": by},
            keys=["kind"],
            update={"days": EXCLUDED, "updated_at": EXCLUDED, "updated_by": EXCLUDED},
        )
