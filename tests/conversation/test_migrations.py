"""The conversation database's migrations: a new database, one made before Alembic, and the gateway's start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from admin import retention as admin_retention
from admin import suggestions as admin_suggestions
from admin import tables as admin_tables
from booking import health as booking_health
from conversation import log as conversation_log
from conversation.schema import MIGRATIONS, current_revision, head_revision, upgrade_database
from conversation.statistics import tables as statistics_tables
from conversation.statistics import unanswered
from conversation.statistics.search import SEARCH_OBJECTS
from crisis import tables as crisis_tables
from gateway.app import create_app
from gateway.settings import GatewaySettings
from knowledge import local_values
from muni.db import open_engine
from sms import links as sms_log
from tests.web.conftest import contact_centre, directory, postgres_url  # noqa: F401
from tests.web.support import SECRET
from voice import calls as voice_calls

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
# Every store's tables; head must make exactly these.
STORES = [
    conversation_log.metadata,
    voice_calls.metadata,
    sms_log.metadata,
    admin_tables.metadata,
    local_values.metadata,
    admin_retention.metadata,
    admin_suggestions.metadata,
    booking_health.metadata,
    crisis_tables.metadata,
    statistics_tables.metadata,
    unanswered.metadata,
]


def all_tables(extra: list[MetaData] | None = None) -> MetaData:
    combined = MetaData()
    for metadata in [*STORES, *(extra or [])]:
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database (tests/support/databases.py's, which upgrades it, is not wanted here)."""
    engine = open_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _declared(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Whether to compare an object: the search's FTS table and index are made by SQL, not by a Table."""
    return name not in SEARCH_OBJECTS


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"include_object": _declared})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


# What create_all made before migrations existed (revision 0001 is that schema).
LEGACY_TABLES = frozenset({"conversations", "turns", "knowledge_gaps", "ratings", "sms_links", "voice_calls"})
LATER_COLUMNS = (
    ("conversations", "language"),  # added by revision 0004
    *(
        ("voice_calls", name)  # added by revision 0005_stats
        for name in ("in_hours", "agent_chosen_at", "transferred_at", "agent_answered_at", "survey_answered_at")
    ),
    ("ratings", "comment"),  # added by revision 0006_stats2
    ("voice_calls", "survey_comment"),  # added by revision 0006_stats2
)


async def make_legacy_database(engine: AsyncEngine, metadata: list[MetaData]) -> None:
    """A database as the gateway left it before migrations: create_all, no alembic_version.

    Only the tables and columns that gateway knew: later revisions' additions are left out.
    """
    async with engine.begin() as connection:
        for tables in metadata:
            legacy = [table for table in tables.sorted_tables if table.name in LEGACY_TABLES]
            await connection.run_sync(lambda sync, tables=tables, legacy=legacy: tables.create_all(sync, tables=legacy))
        made = {table.name for tables in metadata for table in tables.sorted_tables if table.name in LEGACY_TABLES}
        for table, column in LATER_COLUMNS:
            if table not in made:
                continue
            await connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        await connection.execute(
            conversation_log.conversations.insert().values(
                id="c-1", municipality="aarhus", channel="web", started_at=T0, topic="passport"
            )
        )
        await connection.execute(
            conversation_log.knowledge_gaps.insert().values(
                municipality="aarhus", topic="passport", variable="pasfoto_pris", first_seen=T0, last_seen=T0, count=3
            )
        )


async def test_a_new_database_gets_exactly_the_stores_tables(engine: AsyncEngine) -> None:
    assert await current_revision(engine) is None
    await upgrade_database(engine)
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences, all_tables()) == []


async def test_upgrading_at_head_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade_database(engine)
    await upgrade_database(engine)
    assert await current_revision(engine) == head_revision()


async def test_a_database_made_before_migrations_is_stamped_and_keeps_its_rows(engine: AsyncEngine) -> None:
    # Without voice, the old gateway never made voice_calls: the baseline adds it.
    await make_legacy_database(engine, [conversation_log.metadata, sms_log.metadata])
    assert await current_revision(engine) is None

    await upgrade_database(engine)

    assert await current_revision(engine) == head_revision()
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences, all_tables()) == []
        rows = (await connection.execute(select(conversation_log.conversations))).all()
        gaps = (await connection.execute(select(conversation_log.knowledge_gaps.c.count))).scalars().all()
    assert [(row.id, row.topic) for row in rows] == [("c-1", "passport")]
    assert gaps == [3]


async def test_an_unknown_old_table_stops_the_upgrade_and_changes_nothing(engine: AsyncEngine) -> None:
    strange = MetaData()
    Table("conversations", strange, Column("id", Integer, primary_key=True), Column("who", String(20)))
    async with engine.begin() as connection:
        await connection.run_sync(strange.create_all)

    with pytest.raises(RuntimeError, match="conversations"):
        await upgrade_database(engine)

    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == {"conversations"}  # no half-done upgrade
    assert await current_revision(engine) is None


async def test_the_gateway_upgrades_an_old_database_at_start(
    aiohttp_client: Any,
    tmp_path: Path,
    directory: Any,  # noqa: F811
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}"
    engine = open_engine(url)
    await make_legacy_database(engine, [conversation_log.metadata, sms_log.metadata])
    await engine.dispose()

    nowhere = "http://127.0.0.1:9"  # nothing is asked of Rasa at start
    settings = GatewaySettings(secret_key=SECRET, database_url=url, rasa_url=nowhere, actions_url=nowhere)
    client = await aiohttp_client(create_app(settings, directory, now=lambda: T0))
    response = await client.get("/healthz")
    assert response.status == 200

    engine = open_engine(url)
    try:
        assert await current_revision(engine) == head_revision()
        gaps = await conversation_log.ConversationLog(engine).knowledge_gaps("aarhus")
        assert [(g.variable, g.count) for g in gaps] == [("pasfoto_pris", 3)]
    finally:
        await engine.dispose()


def test_the_history_is_one_line_from_the_baseline_to_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_heads() == [head_revision()]
    chain = [r.revision for r in scripts.walk_revisions()]  # head first
    parents = [r.down_revision for r in scripts.walk_revisions()]
    assert chain[-1] == "0001" and parents[-1] is None
    assert parents[:-1] == chain[1:]
