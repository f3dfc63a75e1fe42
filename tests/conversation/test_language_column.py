"""The conversation's language on the log; revision 0004 adds the column to a log of revision 0003 (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from conversation.log import ConversationLog, ConversationRecord
from conversation.schema import upgrade_database
from muni.db import open_engine

OLD_ROW = (
    "INSERT INTO conversations (id, municipality, channel, started_at, topic) "
    "VALUES ('old-1', 'aarhus', 'web', '2026-03-01 10:00:00+00:00', NULL)"
)


async def _old_log_then_upgrade(url: str) -> None:
    engine = open_engine(url)
    try:
        await upgrade_database(engine, "0003")  # the log as it was before conversations had a language
        async with engine.begin() as connection:
            await connection.execute(text(OLD_ROW))
        await upgrade_database(engine)
        await upgrade_database(engine)  # a second start (or a second process) finds the column there
        log = ConversationLog(engine)
        old = await log.conversation("old-1")
        assert old is not None and old.language == "da"
        await log.start_conversation(
            ConversationRecord(
                id="new-1", municipality="aarhus", channel="web", started_at=datetime.now(UTC), language="uk"
            )
        )
        new = await log.conversation("new-1")
        assert new is not None and new.language == "uk"
        await log.set_language("old-1", "en")
        changed = await log.conversation("old-1")
        assert changed is not None and changed.language == "en"
    finally:
        await engine.dispose()


async def test_an_existing_sqlite_log_gets_the_language_column(tmp_path: Path) -> None:
    await _old_log_then_upgrade(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
async def test_an_existing_postgresql_log_gets_the_language_column(postgres_url: str) -> None:
    await _old_log_then_upgrade(postgres_url)
