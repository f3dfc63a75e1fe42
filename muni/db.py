"""SQL databases the same way in every store: one engine per process, SQLite or PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, Table, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from muni.env import SettingsError

SUPPORTED_DRIVERS = frozenset({"sqlite+aiosqlite", "postgresql+asyncpg"})


def check_database_url(name: str, url: str) -> str:
    """`url` if it is a database URL Muni supports, else SettingsError naming the variable `name`."""
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise SettingsError(
            f"{name} is not a database URL; expected e.g. "
            "sqlite+aiosqlite:///var/muni.db or postgresql+asyncpg://user@host/db"
        ) from None
    if driver not in SUPPORTED_DRIVERS:
        raise SettingsError(f"{name} uses the driver {driver!r}; supported: " + ", ".join(sorted(SUPPORTED_DRIVERS)))
    return url


def open_engine(database_url: str) -> AsyncEngine:
    """An engine for database_url; SQLite gets its folder, WAL and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


async def create_tables(engine: AsyncEngine, tables: MetaData) -> None:
    """Create the tables of `tables` that are missing."""
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)


async def add_missing_columns(engine: AsyncEngine, table: Table) -> list[str]:
    """Add the columns of `table` that an existing database lacks; the names added.

    create_all makes missing tables but never alters one, so a column added to a table
    in a later version is added here, at open. Each such column must be nullable or
    have a string server default, which fills the rows already there. Two processes
    opening the same database at once: PostgreSQL's IF NOT EXISTS, and on SQLite the
    loser's "duplicate column" is taken as done.
    """

    def missing(connection: Connection) -> list[Column[Any]]:
        present = {column["name"] for column in inspect(connection).get_columns(table.name)}
        return [column for column in table.columns if column.name not in present]

    added: list[str] = []
    async with engine.connect() as connection:
        columns = await connection.run_sync(missing)
    for column in columns:
        statement = _add_column_sql(engine, table, column)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(statement))
        except DBAPIError as error:
            if "duplicate column" not in str(error).lower():
                raise
        added.append(column.name)
    return added


def _add_column_sql(engine: AsyncEngine, table: Table, column: Column[Any]) -> str:
    quote = engine.dialect.identifier_preparer.quote
    sql_type = column.type.compile(dialect=engine.dialect)
    clause = f"{quote(column.name)} {sql_type}"
    default = column.server_default
    if default is not None:
        value = getattr(default, "arg", None)
        if not isinstance(value, str):
            raise ValueError(f"{table.name}.{column.name}: only a string server default can be added to existing rows")
        clause += " DEFAULT '" + value.replace("'", "''") + "'"
    if not column.nullable:
        if default is None:
            raise ValueError(f"{table.name}.{column.name}: a NOT NULL column added later needs a server default")
        clause += " NOT NULL"
    exists = " IF NOT EXISTS" if engine.dialect.name == "postgresql" else ""
    return f"ALTER TABLE {quote(table.name)} ADD COLUMN{exists} {clause}"


def insert(engine: AsyncEngine, table: Table) -> Insert:
    """The dialect's INSERT for `table`, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(table)
    return statement


async def upsert(
    engine: AsyncEngine,
    table: Table,
    values: Mapping[str, Any],
    *,
    keys: Sequence[str],
    update: Mapping[str, Any] | None = None,
) -> None:
    """Insert `values`; on a conflict over `keys` set the columns in `update`, or do nothing without it.

    `update` maps a column to a value, an SQL expression, or EXCLUDED (the value the
    conflicting insert carried).
    """
    statement: Any = insert(engine, table).values(**values)
    if update is None:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    else:
        resolved = {
            column: statement.excluded[column] if value is EXCLUDED else value for column, value in update.items()
        }
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=resolved)
    async with engine.begin() as connection:
        await connection.execute(statement)


class _Excluded:
    def __repr__(self) -> str:
        return "EXCLUDED"


EXCLUDED: Any = _Excluded()
"""In `upsert(update=...)`: take this column's value from the row that conflicted."""


@contextmanager
def immediate_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One SQLite write transaction that takes the write lock at once (BEGIN IMMEDIATE).

    Two writers racing for the same rows wait for each other instead of both reading and one
    failing at commit. Committed when the block ends, rolled back when it raises. The
    connection must be in autocommit mode (`isolation_level=None`).
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (readiness, admin) proceed while a turn is written; the busy timeout
    # makes concurrent writers wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
