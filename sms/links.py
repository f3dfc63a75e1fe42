"""SMS links: an agent texts a citizen a deep link to the assistant on a topic.

One service for both ways an agent asks (the API `POST /api/v1/sms-links` and the staff
console's agents' page): the link, the idempotency, the keyed hash and the log. The log has
one row per request, so a retried request never sends twice; the recipient is kept only
as a keyed hash and a masked form (last two digits).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

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

from muni.clock import Clock, from_db, to_utc
from sms.sender import OutboxSmsSender, SmsError, SmsSender, SmsUnavailable, mask_number, phone_hash

logger = logging.getLogger("muni.sms.links")

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
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),  # today's figures read a day's links
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

    async def recent(self, municipality: str, *, limit: int = 20) -> list[SmsLinkRecord]:
        """The municipality's latest links, newest first (masked numbers only), for the agents' page."""
        query = (
            select(sms_links)
            .where(sms_links.c.municipality == municipality)
            .order_by(sms_links.c.created_at.desc(), sms_links.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        records = []
        for row in rows:
            values = {name: row._mapping[name] for name in SmsLinkRecord.__dataclass_fields__}
            values["created_at"] = from_db(values["created_at"])
            records.append(SmsLinkRecord(**values))
        return records


def deep_link(public_url: str, slug: str, topic: str, *, via: str) -> str:
    """{public_url}/start/{slug}/{topic}?via=sms|qr – opens the assistant full page on the topic."""
    return f"{public_url.rstrip('/')}/start/{quote(slug)}/{quote(topic)}?via={quote(via)}"


class Limiter(Protocol):
    async def acquire(self, key: str) -> bool:
        """Take one unit for key; False when key is over its limit."""
        ...


class SmsLinkRefused(Exception):
    """The request was not sent; `reason` says why (the edge turns it into its own answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The reasons SmsLinkRefused carries:
RATE_LIMITED = "rate_limited"  # the sender (agent key or console user) sent too many
RECIPIENT_RATE_LIMITED = "recipient_rate_limited"  # the citizen got many texts lately
KEY_REUSED = "idempotency_key_reused"  # the same key for another request
IN_PROGRESS = "in_progress"  # the first request with this key is being sent


@dataclass(frozen=True)
class LinkRequest:
    sender: str  # who asks: an agent key's name, or "console:<user id>"
    idempotency_key: str
    number: str  # E.164, already checked by the edge
    municipality: str
    municipality_name: str
    topic: str
    topic_title: str


@dataclass(frozen=True)
class LinkSent:
    record: SmsLinkRecord
    url: str
    duplicate: bool


class SmsLinks:
    """Texting citizens deep links: the one path for the API and the console."""

    def __init__(
        self,
        log: SmsLinkLog,
        sender: SmsSender,
        *,
        hash_key: bytes,
        public_url: str,
        per_sender: Limiter,
        per_recipient: Limiter,
        clock: Clock,
    ) -> None:
        self._log = log
        self._sender = sender
        self._hash_key = hash_key
        self._public_url = public_url
        self._per_sender = per_sender
        self._per_recipient = per_recipient
        self._clock = clock

    @property
    def log(self) -> SmsLinkLog:
        return self._log

    @property
    def sandbox(self) -> bool:
        """True when texts go to the SANDBOX outbox (no Twilio configured), not to citizens."""
        return isinstance(self._sender, OutboxSmsSender)

    def url(self, municipality: str, topic: str) -> str:
        return deep_link(self._public_url, municipality, topic, via="sms")

    async def send(self, request: LinkRequest) -> LinkSent:
        """Send once per (sender, idempotency key); a retry gets the first answer with duplicate=True.

        Raises SmsLinkRefused, SmsUnavailable (retry with the same key) or SmsError (refused).
        """
        recipient = phone_hash(request.number, self._hash_key)
        fingerprint = hashlib.sha256(
            json.dumps([recipient, request.municipality, request.topic]).encode()
        ).hexdigest()
        record = SmsLinkRecord(
            key_name=request.sender,
            idempotency_key=request.idempotency_key,
            fingerprint=fingerprint,
            recipient_hash=recipient,
            recipient_masked=mask_number(request.number),
            municipality=request.municipality,
            topic=request.topic,
            created_at=self._clock(),
        )
        # Claimed before the limits are counted: a retry of a claimed request is never a flood.
        earlier = await self._log.find(request.sender, request.idempotency_key) or await self._log.claim(record)
        if earlier is None:
            if not await self._per_sender.acquire(request.sender):
                await self._log.release(request.sender, request.idempotency_key)
                raise SmsLinkRefused(RATE_LIMITED)
            if not await self._per_recipient.acquire(recipient):
                await self._log.release(request.sender, request.idempotency_key)
                raise SmsLinkRefused(RECIPIENT_RATE_LIMITED)
            return await self._send(request, record)
        if earlier.fingerprint != fingerprint:
            raise SmsLinkRefused(KEY_REUSED)
        if earlier.status == "pending":
            raise SmsLinkRefused(IN_PROGRESS)
        return LinkSent(earlier, self.url(earlier.municipality, earlier.topic), duplicate=True)

    async def _send(self, request: LinkRequest, record: SmsLinkRecord) -> LinkSent:
        url = self.url(request.municipality, request.topic)
        body = (
            f"Hej. Her er linket fra {request.municipality_name} om {request.topic_title.lower()}, "
            f"som du talte med os om: {url}"
        )
        try:
            sent = await self._sender.send(
                request.number, body, idempotency_key=f"sms-link:{record.key_name}:{record.idempotency_key}"
            )
        except SmsUnavailable as error:
            await self._log.release(record.key_name, record.idempotency_key)
            logger.warning("SMS link for %s/%s not sent: %s", record.municipality, record.topic, error)
            raise
        except SmsError:
            await self._log.release(record.key_name, record.idempotency_key)
            raise
        await self._log.complete(record.key_name, record.idempotency_key, sent.status, sent.id)
        logger.info("SMS link %s sent by %s to %s (%s/%s)", sent.id, record.key_name, sent.to_masked,
                    record.municipality, record.topic)
        return LinkSent(replace(record, status=sent.status, message_id=sent.id), url, duplicate=False)
