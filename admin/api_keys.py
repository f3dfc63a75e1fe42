"""Staff API keys for the municipalities' emergency systems: issued by consortium admins, hashed at rest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.tables import api_keys
from muni.clock import from_db, to_utc

CRISIS_SCOPE = "crisis"
PREFIX = "muni_sk_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    label: str
    scope: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def issue(self, label: str, scope: str, at: datetime, *, created_by: int | None) -> tuple[ApiKey, str]:
        """A new key; the key itself is returned once and only its hash is kept."""
        key = PREFIX + secrets.token_urlsafe(32)
        async with self._engine.begin() as connection:
            result = await connection.execute(
                api_keys.insert().values(
                    label=label[:64], key_hash=_hash(key), scope=scope, created_by=created_by, created_at=to_utc(at)
                )
            )
            (key_id,) = result.inserted_primary_key or (0,)
        return ApiKey(key_id, label[:64], scope, at, None), key

    async def verify(self, key: str) -> ApiKey | None:
        """The live key this is, or None (unknown or revoked)."""
        if not key.startswith(PREFIX):
            return None
        query = select(api_keys).where(api_keys.c.key_hash == _hash(key), api_keys.c.revoked_at.is_(None))
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else _key(row)

    async def revoke(self, key_id: int, at: datetime) -> ApiKey | None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=to_utc(at))
            )
            row = (await connection.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return None if row is None else _key(row)

    async def all(self) -> list[ApiKey]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(select(api_keys).order_by(api_keys.c.id))).all()
        return [_key(row) for row in rows]


def _key(row: Any) -> ApiKey:
    values = row._mapping
    revoked = values["revoked_at"]
    return ApiKey(
        values["id"],
        values["label"],
        values["scope"],
        from_db(values["created_at"]),
        None if revoked is None else from_db(revoked),
    )
