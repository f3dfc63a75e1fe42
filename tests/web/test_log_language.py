"""The conversation's language on the log, and the column added to logs made before it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from conversation.log import ConversationLog, ConversationRecord
from muni.db import open_engine

# The conversations table as created before issue 17: no language column.
OLD_TABLE = """CREATE TABLE conversations (
    id VARCHAR(36) PRIMARY KEY,
    municipality VARCHAR(64) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE NOT NULL,
    topic VARCHAR(64)
)"""
OLD_ROW = (
    "INSERT INTO conversations (id, municipality, channel, started_at, topic) "
    "VALUES ('old-1', 'aarhus', 'web', '2026-03-01 10:00:00+00:00', NULL)"
)


async def _old_log_then_open(url: str) -> None:
    engine = open_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(OLD_TABLE))
            await connection.execute(text(OLD_ROW))
        log = await ConversationLog.open(engine)
        await ConversationLog.open(engine)  # a second start (or a second process) finds the column there
        old = await log.conversation("old-1")
        assert old is not None and old.language == "da"
        await log.start_conversation(
            ConversationRecord(id="new-1", municipality="aarhus", channel="web", started_at=datetime.now(UTC), language="uk")
        )
        new = await log.conversation("new-1")
        assert new is not None and new.language == "uk"
        await log.set_language("old-1", "en")
        changed = await log.conversation("old-1")
        assert changed is not None and changed.language == "en"
    finally:
        await engine.dispose()


async def test_an_existing_sqlite_log_gets_the_language_column_at_open(tmp_path: Path) -> None:
    await _old_log_then_open(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
async def test_an_existing_postgresql_log_gets_the_language_column_at_open(postgres_url: str) -> None:
    await _old_log_then_open(postgres_url)


async def test_a_new_log_starts_conversations_in_danish(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    try:
        log = await ConversationLog.open(engine)
        await log.start_conversation(
            ConversationRecord(id="c", municipality="skive", channel="sms", started_at=datetime.now(UTC))
        )
        record = await log.conversation("c")
        assert record is not None and record.language == "da"
    finally:
        await engine.dispose()
