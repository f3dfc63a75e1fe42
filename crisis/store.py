"""The crises in the shared database, and a board each gateway replica reads through with a short cache."""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from crisis.model import Crisis
from crisis.tables import crises, crisis_history
from muni.clock import Clock, from_db, to_utc
from muni.db import insert

logger = logging.getLogger("muni.crisis")

_LOCK_SPACE = 15_0005  # PostgreSQL advisory locks of crisis mode: (this, the municipality's CRC-32 as an int4)
CACHE_FOR = timedelta(seconds=5)  # every replica sees a change within this (far inside the 60 s promised)


@dataclass(frozen=True)
class Change:
    """One change for the audit log: what was there before and what is there after (None: no crisis)."""

    municipality: str
    before: Crisis | None
    after: Crisis | None


class CrisisStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def set(self, crisis: Crisis) -> Change:
        """Turn on or change a municipality's crisis; of two admins at once, the later write wins."""
        values = {
            "municipality": crisis.municipality,
            "title": crisis.title,
            "message_da": crisis.message_da,
            "message_en": crisis.message_en,
            "link": crisis.link,
            "phone": crisis.phone,
            "starts_at": to_utc(crisis.starts_at),
            "expires_at": to_utc(crisis.expires_at),
            "set_by": crisis.set_by,
            "set_at": to_utc(crisis.set_at),
        }
        statement: Any = insert(self._engine, crises).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["municipality"],
            set_={key: statement.excluded[key] for key in values if key != "municipality"},
        )
        async with self._engine.begin() as connection:
            await _one_at_a_time(connection, crisis.municipality)
            before = await self._get(connection, crisis.municipality)
            await connection.execute(statement)
            await self._history(
                connection, crisis.municipality, "changed" if before else "on", crisis.set_at, crisis.set_by, crisis.snapshot()
            )
        return Change(crisis.municipality, before, crisis)

    async def clear(self, municipality: str, actor: str, at: datetime) -> Change:
        """Turn a municipality's crisis off (nothing to do when none is set)."""
        async with self._engine.begin() as connection:
            await _one_at_a_time(connection, municipality)
            before = await self._get(connection, municipality)
            if before is not None:
                await connection.execute(delete(crises).where(crises.c.municipality == municipality))
                await self._history(connection, municipality, "off", at, actor, {})
        return Change(municipality, before, None)

    async def get(self, municipality: str) -> Crisis | None:
        async with self._engine.connect() as connection:
            return await self._get(connection, municipality)

    async def all(self) -> dict[str, Crisis]:
        """Every crisis set, active, pending or expired (readers decide with their clock)."""
        async with self._engine.connect() as connection:
            rows = (await connection.execute(select(crises))).all()
        return {row.municipality: _crisis(row._mapping) for row in rows}

    async def history(self, municipality: str, *, limit: int = 50) -> list[dict[str, Any]]:
        query = (
            select(crisis_history)
            .where(crisis_history.c.municipality == municipality)
            .order_by(crisis_history.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [{"action": r.action, "at": from_db(r.at), "actor": r.actor, "details": json.loads(r.details)} for r in rows]

    @staticmethod
    async def _get(connection: Any, municipality: str) -> Crisis | None:
        row = (await connection.execute(select(crises).where(crises.c.municipality == municipality))).first()
        return None if row is None else _crisis(row._mapping)

    @staticmethod
    async def _history(
        connection: Any, municipality: str, action: str, at: datetime, actor: str, details: dict[str, Any]
    ) -> None:
        await connection.execute(
            crisis_history.insert().values(
                municipality=municipality,
                action=action,
                at=to_utc(at),
                actor=actor[:96],
                details=json.dumps(details, ensure_ascii=False, sort_keys=True),
            )
        )


async def _one_at_a_time(connection: AsyncConnection, municipality: str) -> None:
    """Changes to one municipality's crisis wait for each other until the transaction ends.

    Without this, two admins at once could both read the same `before` and both record "on":
    the later change still won, but the audit log would not say what it replaced. PostgreSQL
    takes a transaction-scoped advisory lock (the row may not exist yet, so a row lock would
    not do); SQLite takes its one write lock by writing first (a no-op update), before reading.
    """
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, zlib.crc32(municipality.encode()) - 2**31)))
    else:
        same = crises.c.municipality == municipality
        await connection.execute(update(crises).where(same).values(municipality=crises.c.municipality))


def _crisis(row: Any) -> Crisis:
    return Crisis(
        municipality=row["municipality"],
        title=row["title"],
        message_da=row["message_da"],
        message_en=row["message_en"],
        link=row["link"],
        phone=row["phone"],
        starts_at=from_db(row["starts_at"]),
        expires_at=from_db(row["expires_at"]),
        set_by=row["set_by"],
        set_at=from_db(row["set_at"]),
    )


class CrisisBoard:
    """What every channel asks: the active crisis of a municipality, read through a short cache.

    One query per CACHE_FOR per replica however many citizens ask, so the surge never reaches
    the database; when the database does not answer, the last known crises are kept (a crisis
    must not vanish because the database is busy) and the error is logged.
    """

    def __init__(self, store: CrisisStore, now: Clock, cache_for: timedelta = CACHE_FOR) -> None:
        self._store = store
        self._now = now
        self._cache_for = cache_for
        self._crises: dict[str, Crisis] = {}
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def active(self, municipality: str) -> Crisis | None:
        crises = await self._current()
        crisis = crises.get(municipality)
        return crisis if crisis is not None and crisis.active_at(self._now()) else None

    async def all_active(self) -> dict[str, Crisis]:
        moment = self._now()
        return {slug: c for slug, c in (await self._current()).items() if c.active_at(moment)}

    def forget(self) -> None:
        """Read the database on the next question (this replica just changed a crisis)."""
        self._loaded_at = None

    async def _current(self) -> dict[str, Crisis]:
        if self._fresh():
            return self._crises
        async with self._lock:  # one reload at a time; the others wait for it instead of piling on
            if not self._fresh():
                try:
                    self._crises = await self._store.all()
                except Exception:
                    logger.exception("Could not read the crises; keeping the last known ones")
                self._loaded_at = self._now()
        return self._crises

    def _fresh(self) -> bool:
        if self._loaded_at is None:
            return False
        age = self._now() - self._loaded_at
        return timedelta(0) <= age < self._cache_for
