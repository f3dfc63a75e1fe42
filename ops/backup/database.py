"""The SQL database's part: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

from ops.backup.archive import BackupError, describe_files

PG_TIMEOUT_S = 3600  # a dump or restore of the conversation log; the connection itself times out after 10 s
CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_S = 30
FOLDER = "database"


def backup_database(database_url: str, staging: Path) -> dict[str, Any]:
    """Copy the database into staging/database; the manifest's part for it."""
    url = make_url(database_url)
    folder = staging / FOLDER
    folder.mkdir()
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_path(url), folder / "muni.sqlite")
        revision = _sqlite_revision(folder / "muni.sqlite")
        details: dict[str, str | None] = {"kind": "sqlite", "sqlite": sqlite3.sqlite_version}
    else:
        revision = asyncio.run(_postgres_revision(url))  # read first: the dump has it or a later one
        _pg_dump(url, folder / "muni.pgdump")
        details = {"kind": "postgresql", "pg_dump": _tool_version("pg_dump")}
    # The gateway upgrades a restored database from this revision (conversation/migrations) as it starts.
    details["schema_revision"] = revision
    return {"name": "database", "source": url.render_as_string(hide_password=True), **details,
            "files": describe_files(staging, folder)}


def restore_database(database_url: str, part: dict[str, Any], unpacked: Path, *, force: bool) -> str:
    """Put the archived database in place of the one database_url names; what was restored, in words."""
    url = make_url(database_url)
    (entry,) = part["files"]
    archived = unpacked / entry["path"]
    backend = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    if part["kind"] != backend:
        raise BackupError(
            f"the backup holds a {part['kind']} database and MUNI_DATABASE_URL names a {backend} one: "
            "restore it onto the same kind of database"
        )
    target = url.render_as_string(hide_password=True)
    if backend == "sqlite":
        path = _sqlite_path(url)
        if not force and _sqlite_tables(path):
            raise BackupError(f"{path} already holds data: restore with --force to replace it")
        _sqlite_restore(archived, path)
    else:
        if not force and asyncio.run(_postgres_tables(url)):
            raise BackupError(f"{target} already holds tables: restore with --force to replace them")
        _pg_restore(url, archived)
    return f"database ({backend}) restored into {target}"


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("MUNI_DATABASE_URL names an in-memory SQLite database: there is nothing to back up")
    return Path(url.database)


def _sqlite_backup(source: Path, copy: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no database at {source}: check MUNI_DATABASE_URL (or MUNI_VAR_DIR)")
    # The online backup API copies a consistent state while the gateway goes on writing.
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)) as live,
        closing(sqlite3.connect(copy)) as archived,
    ):
        live.backup(archived)
        archived.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def _sqlite_revision(path: Path) -> str | None:
    with closing(sqlite3.connect(path)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # made before migrations existed
            return None
    return None if row is None else str(row[0])


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return [name for (name,) in rows]


def _sqlite_restore(archived: Path, target: Path) -> None:
    with closing(sqlite3.connect(archived)) as source:
        (verdict,) = source.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"the archived database fails SQLite's integrity check: {verdict}")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Through the backup API as well: a gateway that has the file open sees the old or the new state.
        with closing(sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_S)) as live:
            source.backup(live)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client tools (apt-get install postgresql-client)")
    return found


def _tool_version(name: str) -> str:
    result = subprocess.run([_pg_tool(name), "--version"], capture_output=True, text=True, timeout=30, check=False)
    return result.stdout.strip()


def _pg_arguments(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore; the password goes in the environment, never the command line."""
    arguments = ["--host", url.host or "localhost", "--port", str(url.port or 5432), "--no-password"]
    if url.username:
        arguments += ["--username", url.username]
    environment = dict(os.environ, PGCONNECT_TIMEOUT=str(CONNECT_TIMEOUT_S))
    environment.pop("PGPASSWORD", None)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    if sslmode := url.query.get("sslmode") or url.query.get("ssl"):
        environment["PGSSLMODE"] = str(sslmode)
    return arguments, environment


def _run_pg(command: list[str], environment: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=PG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish within {PG_TIMEOUT_S} s") from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def _pg_dump(url: URL, dump: Path) -> None:
    arguments, environment = _pg_arguments(url)
    command = [_pg_tool("pg_dump"), *arguments, "--format=custom", "--no-owner", "--no-privileges",
               f"--file={dump}", url.database or "postgres"]
    _run_pg(command, environment, f"pg_dump of {url.render_as_string(hide_password=True)}")


def _pg_restore(url: URL, dump: Path) -> None:
    arguments, environment = _pg_arguments(url)
    # One transaction: a restore that fails half-way leaves the database as it was.
    command = [_pg_tool("pg_restore"), *arguments, "--clean", "--if-exists", "--no-owner", "--no-privileges",
               "--single-transaction", "--exit-on-error", f"--dbname={url.database or 'postgres'}", str(dump)]
    _run_pg(command, environment, f"pg_restore into {url.render_as_string(hide_password=True)}")


async def _connect(url: URL) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=url.database,
            timeout=CONNECT_TIMEOUT_S,
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise BackupError(f"cannot connect to {url.render_as_string(hide_password=True)}: {error}") from None


async def _postgres_revision(url: URL) -> str | None:
    connection = await _connect(url)
    try:
        revision = await connection.fetchval("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:  # made before migrations existed
        return None
    finally:
        await connection.close()
    return None if revision is None else str(revision)


async def _postgres_tables(url: URL) -> list[str]:
    connection = await _connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
    finally:
        await connection.close()
    return [row["table_name"] for row in rows]
