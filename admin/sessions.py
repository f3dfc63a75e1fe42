"""Server-side sessions: a random token in the cookie, its hash in the database, idle and absolute time-outs."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.tables import sessions
from muni.clock import from_db, to_utc

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)


class Stage(Enum):
    SECOND_FACTOR = "second-factor"  # password right, the TOTP code is still to come
    ENROL = "enrol"  # password right, a consortium admin must set up the second factor first
    FULL = "full"


@dataclass(frozen=True)
class Session:
    id: str  # the token's hash
    user_id: int
    stage: Stage
    created_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class SessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, user_id: int, stage: Stage, at: datetime) -> str:
        """A new session; the token for the cookie (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        async with self._engine.begin() as connection:
            await connection.execute(
                sessions.insert().values(
                    id=_hash(token), user_id=user_id, stage=stage.value, created_at=to_utc(at), last_seen_at=to_utc(at)
                )
            )
        return token

    async def resume(self, token: str, at: datetime) -> Session | None:
        """The live session of `token`, seen now; None when unknown, revoked, idle too long or too old."""
        if not token or len(token) > 128:
            return None
        session_id = _hash(token)
        async with self._engine.begin() as connection:
            row = (await connection.execute(select(sessions).where(sessions.c.id == session_id))).first()
            if row is None or row._mapping["revoked_at"] is not None:
                return None
            created, seen = from_db(row._mapping["created_at"]), from_db(row._mapping["last_seen_at"])
            if at - seen > IDLE_TIMEOUT or at - created > ABSOLUTE_TIMEOUT:
                await connection.execute(update(sessions).where(sessions.c.id == session_id).values(revoked_at=to_utc(at)))
                return None
            await connection.execute(update(sessions).where(sessions.c.id == session_id).values(last_seen_at=to_utc(at)))
        return Session(id=session_id, user_id=row._mapping["user_id"], stage=Stage(row._mapping["stage"]), created_at=created)

    async def advance(self, session_id: str, stage: Stage) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(update(sessions).where(sessions.c.id == session_id).values(stage=stage.value))

    async def revoke(self, session_id: str, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(sessions).where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None)).values(revoked_at=to_utc(at))
            )

    async def revoke_user(self, user_id: int, at: datetime) -> int:
        """End every session of the user (logout everywhere, role change, deactivation); how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(sessions)
                .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=to_utc(at))
            )
        return int(result.rowcount)
