"""The conversation database's schema: upgraded to the newest revision (Alembic) when the gateway starts.

A database made before migrations existed (tables by create_all, no alembic_version) is
brought under Alembic by the baseline revision, which keeps its tables and rows.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant: two gateways starting at once on PostgreSQL migrate one after the other.
_PG_LOCK_ID = 0x6D756E69


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision in conversation/migrations."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("conversation/migrations has no revision")
    return head


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")
    elif connection.dialect.name == "sqlite":
        # SQLite's driver leaves DDL outside a transaction unless one is begun explicitly; IMMEDIATE
        # takes the write lock, so a failed revision leaves nothing half-done and starts do not race.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(connection: Connection, revision: str) -> None:
    _lock(connection)
    command.upgrade(_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest) in one transaction."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None for an empty database or one made before migrations."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
