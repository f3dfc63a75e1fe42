"""The SMS-link log: one row per agent request, so a retried request never sends twice.

The recipient is kept only as a keyed hash and a masked form (last two digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from muni.clock import from_db, to_utc

metadata = MetaData()

sms_links = Table(
    "sms_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_name", String(64), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # of the request: a reused key must not change it
    Column("recipient_hash", String(64), nullable=False, index=True),
    Column("recipient_masked", String(16), nullable=False),
    Column("municipality", String(64), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # pending, then the provider's status
    Column("message_id", String(64), nullable=True),
    UniqueConstraint("key_name", "idempotency_key", name="uq_sms_link_request"),
)


@dataclass(frozen=True)
class SmsLinkRecord:
    key_name: str
    idempotency_key: str
    fingerprint: str
    recipient_hash: str
    recipient_masked: str
    municipality: str
    topic: str
    created_at: datetime
    status: str = "pending"
    message_id: str | None = None


class SmsLinkLog:
    def __init__(self, engine: AsyncEngine) -> None:
        """The SMS-link log on the process's one engine (its table comes from conversation/migrations)."""
        self._engine = engine

    async def claim(self, record: SmsLinkRecord) -> SmsLinkRecord | None:
        """Insert a pending request; None when claimed, else the earlier request with the same key."""
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    sms_links.insert().values(**{**record.__dict__, "created_at": to_utc(record.created_at)})
                )
        except IntegrityError:
            earlier = await self.find(record.key_name, record.idempotency_key)
            if earlier is None:  # released in between: claim again
                return await self.claim(record)
            return earlier
        return None

    async def find(self, key_name: str, idempotency_key: str) -> SmsLinkRecord | None:
        query = select(sms_links).where(
            sms_links.c.key_name == key_name, sms_links.c.idempotency_key == idempotency_key
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        values = {name: row._mapping[name] for name in SmsLinkRecord.__dataclass_fields__}
        values["created_at"] = from_db(values["created_at"])
        return SmsLinkRecord(**values)

    async def complete(self, key_name: str, idempotency_key: str, status: str, message_id: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(sms_links)
                .where(sms_links.c.key_name == key_name, sms_links.c.idempotency_key == idempotency_key)
                .values(status=status, message_id=message_id)
            )

    async def release(self, key_name: str, idempotency_key: str) -> None:
        """Forget a request that failed before sending, so the agent can retry with the same key."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(sms_links).where(
                    sms_links.c.key_name == key_name, sms_links.c.idempotency_key == idempotency_key
                )
            )
