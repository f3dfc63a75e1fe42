"""The conversation log behaves the same on SQLite (default) and PostgreSQL (by URL)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import ConversationLog, ConversationRecord, TurnRecord
from conversation.schema import upgrade_database
from muni.db import open_engine

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
COPENHAGEN_SUMMER = timezone(timedelta(hours=2))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'muni.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database at the newest schema revision, as the gateway leaves it at start."""
    engine = open_engine(database_url)
    try:
        await upgrade_database(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def log(engine: AsyncEngine) -> ConversationLog:
    return ConversationLog(engine)


def conversation(municipality: str = "aarhus", topic: str | None = None) -> ConversationRecord:
    return ConversationRecord(
        id=str(uuid.uuid4()), municipality=municipality, channel="web", started_at=T0, topic=topic
    )


async def test_conversation_round_trip(log: ConversationLog) -> None:
    record = conversation(topic="passport")
    await log.start_conversation(record)
    assert await log.conversation(record.id) == record
    assert await log.conversation(str(uuid.uuid4())) is None


async def test_timestamps_come_back_as_the_same_instant_in_utc(log: ConversationLog) -> None:
    record = conversation()
    await log.start_conversation(record)
    local = datetime(2026, 5, 1, 12, 0, tzinfo=COPENHAGEN_SUMMER)
    await log.add_turns([TurnRecord(record.id, local, "citizen", "hej")])
    (turn,) = await log.turns(record.id)
    assert turn.at == local
    assert turn.at.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(log: ConversationLog) -> None:
    naive = dataclasses.replace(conversation(), started_at=datetime(2026, 5, 1, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        await log.start_conversation(naive)


async def test_turns_keep_their_order_and_meta(log: ConversationLog) -> None:
    record = conversation()
    await log.start_conversation(record)
    await log.add_turns([TurnRecord(record.id, T0, "citizen", "pas")])
    await log.add_turns(
        [
            TurnRecord(record.id, T0, "bot", "Første svar", "passport", "guide", False, 120),
            TurnRecord(record.id, T0, "bot", "Andet svar", "passport", "guide", False, 120),
        ]
    )
    await log.add_turns([TurnRecord(record.id, T0, "citizen", "menneske")])
    await log.add_turns([TurnRecord(record.id, T0, "bot", "Ring til os", None, "handoff", True, 95)])
    turns = await log.turns(record.id)
    assert [(t.role, t.text, t.topic, t.source, t.handoff, t.latency_ms) for t in turns] == [
        ("citizen", "pas", None, None, False, None),
        ("bot", "Første svar", "passport", "guide", False, 120),
        ("bot", "Andet svar", "passport", "guide", False, 120),
        ("citizen", "menneske", None, None, False, None),
        ("bot", "Ring til os", None, "handoff", True, 95),
    ]
    assert await log.turns(str(uuid.uuid4())) == []


async def test_the_log_redacts_whatever_it_is_given(log: ConversationLog) -> None:
    record = conversation()
    await log.start_conversation(record)
    await log.add_turns([TurnRecord(record.id, T0, "citizen", "cpr 010190-1234, mail a@b.dk, tlf 21345678")])
    (turn,) = await log.turns(record.id)
    assert turn.text == "cpr [CPR], mail [EMAIL], tlf [TELEFON]"


async def test_bot_turns_keep_public_contact_details(log: ConversationLog) -> None:
    record = conversation()
    await log.start_conversation(record)
    await log.add_turns([TurnRecord(record.id, T0, "bot", "Ring til Den Digitale Hotline på 70 20 00 00.")])
    (turn,) = await log.turns(record.id)
    assert turn.text == "Ring til Den Digitale Hotline på 70 20 00 00."


async def test_a_turn_needs_an_existing_conversation(log: ConversationLog) -> None:
    with pytest.raises(IntegrityError):
        await log.add_turns([TurnRecord(str(uuid.uuid4()), T0, "citizen", "hej")])


async def test_knowledge_gaps_are_counted_per_municipality(log: ConversationLog) -> None:
    later = T0 + timedelta(days=3)
    await log.record_gap("skive", "passport", "pasfoto_pris", T0)
    await log.record_gap("skive", "passport", "pasfoto_pris", later)
    await log.record_gap("skive", "waste", "affaldsselskab", T0)
    await log.record_gap("aarhus", "passport", "pasfoto_pris", T0)

    gaps = await log.knowledge_gaps("skive")
    assert [(g.topic, g.variable, g.count) for g in gaps] == [
        ("passport", "pasfoto_pris", 2),
        ("waste", "affaldsselskab", 1),
    ]
    assert (gaps[0].first_seen, gaps[0].last_seen) == (T0, later)
    assert [g.count for g in await log.knowledge_gaps("aarhus")] == [1]
    assert await log.knowledge_gaps("lemvig") == []


async def test_ping_and_reopening_keep_the_data(database_url: str) -> None:
    engine = open_engine(database_url)
    await upgrade_database(engine)
    first = ConversationLog(engine)
    record = conversation()
    await first.start_conversation(record)
    await first.ping()
    await engine.dispose()

    engine = open_engine(database_url)
    try:
        await upgrade_database(engine)  # at head already: nothing to do, nothing lost
        second = ConversationLog(engine)
        assert await second.conversation(record.id) == record
    finally:
        await engine.dispose()
