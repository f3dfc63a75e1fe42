"""Login throttling per account and per client, in the database so every gateway replica shares it.

After FREE_FAILURES failed logins the next try must wait, twice as long after each further
failure, up to MAX_DELAY. The account's key is a hash of the typed name, whether or not such a
user exists, so the wait reveals nothing about who has an account.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.tables import login_throttle
from muni.clock import from_db, to_utc
from muni.db import EXCLUDED, upsert

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a quiet day starts the count again


def account_key(username: str) -> str:
    return "account:" + hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


def client_key(address: str | None) -> str:
    return f"client:{address or 'unknown'}"[:96]


def delay_after(failures: int) -> timedelta:
    """How long to wait after `failures` failures in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


class LoginThrottle:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def wait(self, keys: list[str], at: datetime) -> timedelta:
        """How long before a login for these keys may be tried; zero when it may be tried now."""
        query = select(login_throttle).where(login_throttle.c.key.in_(keys))
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        longest = timedelta(0)
        for row in (r._mapping for r in rows):
            last = from_db(row["last_failure_at"])
            if at - last > FORGET_AFTER:
                continue
            longest = max(longest, last + delay_after(row["failures"]) - at)
        return longest

    async def failed(self, keys: list[str], at: datetime) -> None:
        for key in keys:
            current = await self._failures(key, at)
            await upsert(
                self._engine,
                login_throttle,
                {"key": key, "failures": current + 1, "last_failure_at": to_utc(at)},
                keys=["key"],
                update={"failures": EXCLUDED, "last_failure_at": EXCLUDED},
            )

    async def succeeded(self, key: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(login_throttle.delete().where(login_throttle.c.key == key))

    async def _failures(self, key: str, at: datetime) -> int:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(login_throttle).where(login_throttle.c.key == key))).first()
        if row is None or at - from_db(row._mapping["last_failure_at"]) > FORGET_AFTER:
            return 0
        return int(row._mapping["failures"])
