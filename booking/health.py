"""The booking backend's health: every call the adapter makes (when, how long, ok or why not).

The action server writes it (through `FrontDeskClient`'s recorder) into the gateway's database,
where the staff console's integrations page reads it. Never a citizen's data: the operation is
the method and the first path segment, the error is the adapter's short reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from booking.frontdesk import FrontDeskClient
from booking.model import BookingError
from booking.settings import BookingSettings, booking_endpoint
from muni.clock import Clock, from_db, to_utc, utc_now
from muni.db import check_database_url, open_engine

logger = logging.getLogger("muni.booking.health")

KEEP = timedelta(days=2)  # the page shows the last day; older calls are pruned as new ones come
WINDOW = timedelta(days=1)

metadata = MetaData()

booking_calls = Table(
    "booking_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("municipality", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("operation", String(48), nullable=False),  # "GET /services": never an id or a reference
    Column("latency_ms", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", String(160), nullable=True),
)


@dataclass(frozen=True)
class BookingCall:
    municipality: str
    at: datetime
    operation: str
    latency_ms: int
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class BookingHealth:
    """The last day of one municipality's booking calls."""

    last_at: datetime | None
    last_ok: bool | None
    last_latency_ms: int | None
    last_error: str | None
    calls: int
    errors: int
    median_latency_ms: int | None


class BookingHealthLog:
    def __init__(self, engine: AsyncEngine, clock: Clock = utc_now) -> None:
        """The health log on a process's engine (its table comes from conversation/migrations)."""
        self._engine = engine
        self._clock = clock

    async def record(self, call: BookingCall) -> None:
        """Store one call and forget those older than KEEP; a database problem is logged, never raised."""
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    booking_calls.insert().values(**{**call.__dict__, "at": to_utc(call.at)})
                )
                await connection.execute(delete(booking_calls).where(booking_calls.c.at < to_utc(call.at - KEEP)))
        except SQLAlchemyError as error:
            logger.warning("Booking health not recorded: %s", type(error).__name__)

    async def health(self, municipality: str) -> BookingHealth:
        since = to_utc(self._clock() - WINDOW)
        mine = booking_calls.c.municipality == municipality
        async with self._engine.connect() as connection:
            last = (
                await connection.execute(
                    select(booking_calls).where(mine).order_by(booking_calls.c.at.desc(), booking_calls.c.id.desc()).limit(1)
                )
            ).first()
            counts = (
                await connection.execute(
                    select(func.count(), func.sum(case((booking_calls.c.ok.is_(False), 1), else_=0))).where(
                        mine, booking_calls.c.at >= since
                    )
                )
            ).one()
            latencies = sorted(
                (
                    await connection.execute(
                        select(booking_calls.c.latency_ms).where(mine, booking_calls.c.at >= since)
                    )
                ).scalars()
            )
        row = None if last is None else last._mapping
        return BookingHealth(
            last_at=None if row is None else from_db(row["at"]),
            last_ok=None if row is None else bool(row["ok"]),
            last_latency_ms=None if row is None else int(row["latency_ms"]),
            last_error=None if row is None else row["error"],
            calls=int(counts[0] or 0),
            errors=int(counts[1] or 0),
            median_latency_ms=latencies[len(latencies) // 2] if latencies else None,
        )


class HealthRecorder:
    """What FrontDeskClient calls after each request: one municipality's calls into the log."""

    def __init__(self, log: BookingHealthLog, municipality: str, clock: Clock = utc_now) -> None:
        self._log = log
        self._municipality = municipality
        self._clock = clock

    async def record(self, method: str, path: str, started: float, error: str | None) -> None:
        segment = "/" + path.strip("/").split("/", 1)[0]
        await self._log.record(
            BookingCall(
                municipality=self._municipality,
                at=self._clock(),
                operation=f"{method} {segment}"[:48],
                latency_ms=round((time.monotonic() - started) * 1000),
                ok=error is None,
                error=None if error is None else error[:160],
            )
        )


@functools.cache
def process_health_log() -> BookingHealthLog | None:
    """The action server's log on MUNI_DATABASE_URL (the gateway's database); None when it is not set."""
    url = os.environ.get("MUNI_DATABASE_URL", "").strip()
    if not url:
        return None
    return BookingHealthLog(open_engine(check_database_url("MUNI_DATABASE_URL", url)))


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    latency_ms: int
    sandbox: bool
    message: str  # Danish, for staff


async def check_connection(
    slug: str, log: BookingHealthLog | None, environ: Mapping[str, str] = os.environ
) -> ConnectionTest:
    """Ask the municipality's booking API for its services once, within the adapter's timeout; recorded."""
    endpoint = booking_endpoint(slug, environ)
    single = BookingSettings(timeout_s=endpoint.timeout_s)
    started = time.monotonic()
    recorder = None if log is None else HealthRecorder(log, slug)
    try:
        async with aiohttp.ClientSession() as session:
            client = FrontDeskClient(session, endpoint, recorder=recorder)
            # The adapter retries reads; the whole test still ends within its time budget.
            services = await asyncio.wait_for(client.services(), timeout=single.budget_s + 0.5)
    except (BookingError, TimeoutError) as error:
        reason = "intet svar" if isinstance(error, TimeoutError) else str(error)[:160]
        return ConnectionTest(False, round((time.monotonic() - started) * 1000), endpoint.sandbox,
                              f"Booking-systemet svarede ikke som ventet: {reason}")
    latency = round((time.monotonic() - started) * 1000)
    return ConnectionTest(True, latency, endpoint.sandbox, f"Forbindelsen virker: {len(services)} ydelser på {latency} ms.")
