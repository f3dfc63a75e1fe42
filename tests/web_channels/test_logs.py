"""Ratings and the SMS-link log behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import ConversationLog
from sms.links import SmsLinkLog, SmsLinkRecord
from tests.support.postgres import postgres_url  # noqa: F401
from tests.web.test_store import conversation, database_url, engine, log  # noqa: F401

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def link(idempotency_key: str = "call-1", **changes: object) -> SmsLinkRecord:
    values: dict[str, object] = {
        "key_name": "hotline",
        "idempotency_key": idempotency_key,
        "fingerprint": "f" * 64,
        "recipient_hash": "h" * 32,
        "recipient_masked": "+45…56",
        "municipality": "aarhus",
        "topic": "passport",
        "created_at": T0,
        **changes,
    }
    return SmsLinkRecord(**values)  # type: ignore[arg-type]


async def test_a_rating_is_kept_and_replaced(log: ConversationLog) -> None:  # noqa: F811
    record = conversation()
    await log.start_conversation(record)
    assert await log.rating(record.id) is None
    await log.record_rating(record.id, 7, T0)
    await log.record_rating(record.id, 2, T0 + timedelta(minutes=1))
    assert await log.rating(record.id) == 2


async def test_a_rating_needs_a_conversation_and_a_score_of_1_to_9(log: ConversationLog) -> None:  # noqa: F811
    with pytest.raises(IntegrityError):
        await log.record_rating(str(uuid.uuid4()), 5, T0)
    record = conversation()
    await log.start_conversation(record)
    for score in (0, 10):
        with pytest.raises(ValueError):
            await log.record_rating(record.id, score, T0)


async def test_one_claim_per_key_and_request(engine: AsyncEngine) -> None:  # noqa: F811
    links = SmsLinkLog(engine)
    assert await links.claim(link()) is None
    earlier = await links.claim(link(fingerprint="g" * 64))
    assert earlier is not None and earlier.status == "pending" and earlier.fingerprint == "f" * 64
    await links.complete("hotline", "call-1", "queued", "SM1")
    done = await links.find("hotline", "call-1")
    assert done is not None and (done.status, done.message_id) == ("queued", "SM1")
    assert done.created_at == T0
    # Another agent key may use the same idempotency key for its own request.
    assert await links.claim(link(key_name="skive")) is None


async def test_a_released_claim_can_be_made_again(engine: AsyncEngine) -> None:  # noqa: F811
    links = SmsLinkLog(engine)
    assert await links.claim(link("call-2")) is None
    await links.release("hotline", "call-2")
    assert await links.find("hotline", "call-2") is None
    assert await links.claim(link("call-2")) is None
