"""`muni backup` / `muni restore`: a small database and index, backed up, wiped, restored and compared."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conversation.log import ConversationLog, ConversationRecord, TurnRecord
from conversation.schema import head_revision, upgrade_database
from knowledge.index.connection import snapshot_index, writable_index
from knowledge.index.generations import Generations
from knowledge.index.indexer import Indexer
from knowledge.index.lexical import danish_lemmatizer
from knowledge.index.settings import IndexSettings
from muni.db import open_engine
from ops.backup import BackupError, BackupSettings, backup, restore
from ops.backup.archive import FORMAT, MANIFEST
from ops.cli import main as muni
from tests.knowledge.index.conftest import HashingEmbedder, make_page

STARTED = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
PAGES = {
    "https://odder.dk/affald": "Storskrald hentes den første mandag i måneden.",
    "https://odder.dk/pas": "Pas bestilles i Borgerservice; husk et godkendt foto.",
}
Turns = list[list[tuple[str, str]]]


async def add_conversations(database_url: str, first: int, count: int) -> None:
    engine = open_engine(database_url)
    try:
        await upgrade_database(engine)
        log = ConversationLog(engine)
        for n in range(first, first + count):
            await log.start_conversation(ConversationRecord(f"c-{n}", "odder", "web", STARTED))
            await log.add_turns(
                [
                    TurnRecord(f"c-{n}", STARTED, "citizen", f"hvornår hentes storskrald {n}"),
                    TurnRecord(f"c-{n}", STARTED, "bot", "Den første mandag i måneden.", topic="bulky_waste"),
                ]
            )
    finally:
        await engine.dispose()


async def conversations(database_url: str, count: int) -> Turns:
    engine = open_engine(database_url)
    try:
        log = ConversationLog(engine)
        return [[(turn.role, turn.text) for turn in await log.turns(f"c-{n}")] for n in range(count)]
    finally:
        await engine.dispose()


def build_index(settings: IndexSettings, pages: dict[str, str]) -> None:
    with writable_index(settings) as index:
        Indexer(index, HashingEmbedder(danish_lemmatizer())).index_pages(
            "odder", [make_page("odder", url, "Side", text) for url, text in pages.items()], []
        )


def indexed_urls(settings: IndexSettings) -> set[str]:
    with snapshot_index(settings) as index:
        records, _ = index.client.scroll(index.name("odder"), limit=100, with_payload=True)
        return {record.payload["url"] for record in records if record.payload}


def backup_settings(tmp_path: Path, database_url: str | None = None) -> BackupSettings:
    index = IndexSettings(index_dir=tmp_path / "index", crawl_dir=tmp_path / "crawl")
    return BackupSettings(database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}", index=index)


async def test_sqlite_and_local_index_survive_a_wipe(tmp_path: Path) -> None:
    settings = backup_settings(tmp_path)
    await add_conversations(settings.database_url, 0, 3)
    build_index(settings.index, PAGES)
    before = await conversations(settings.database_url, 3)
    (tmp_path / "backups").mkdir()

    archive, manifest = backup(settings, tmp_path / "backups", now=STARTED)

    assert archive.name == "muni-backup-20261103T093000Z.tar.gz"
    assert archive.stat().st_mode & 0o077 == 0, "readable by its owner only: it holds conversations"
    assert [part["name"] for part in manifest["parts"]] == ["database", "index"]
    assert manifest["parts"][1]["generation"] == "g-000001"
    (tmp_path / "muni.db").unlink()
    shutil.rmtree(tmp_path / "index")

    done = restore(settings, archive)

    assert await conversations(settings.database_url, 3) == before
    assert indexed_urls(settings.index) == set(PAGES)
    assert len(done) == 2


async def test_a_restore_replaces_what_came_later_only_when_forced(tmp_path: Path) -> None:
    settings = backup_settings(tmp_path)
    await add_conversations(settings.database_url, 0, 2)
    build_index(settings.index, PAGES)
    archive, _ = backup(settings, tmp_path / "backup.tar.gz")
    await add_conversations(settings.database_url, 2, 1)  # written after the backup
    build_index(settings.index, {"https://odder.dk/ny": "En ny side om hundeskat."})

    with pytest.raises(BackupError, match="--force"):
        restore(settings, archive)
    assert len([turns for turns in await conversations(settings.database_url, 3) if turns]) == 3, "nothing lost"

    restore(settings, archive, force=True)

    assert [bool(turns) for turns in await conversations(settings.database_url, 3)] == [True, True, False]
    # The index comes back as a new generation: readers switch to it, the later one is kept for now.
    assert indexed_urls(settings.index) == set(PAGES)
    assert [path.name for path in Generations(settings.index.index_dir).all()] == ["g-000002", "g-000003"]


async def test_a_damaged_archive_is_refused_before_anything_is_touched(tmp_path: Path) -> None:
    settings = backup_settings(tmp_path)
    await add_conversations(settings.database_url, 0, 1)
    build_index(settings.index, PAGES)
    archive, _ = backup(settings, tmp_path / "backup.tar.gz")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]  # every member is a file
            if member.name.endswith(".sqlite"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))
    (tmp_path / "muni.db").unlink()

    with pytest.raises(BackupError, match="checksum"):
        restore(settings, damaged, force=True)
    assert not (tmp_path / "muni.db").exists()
    with pytest.raises(BackupError, match="not a readable backup archive"):
        (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
        restore(settings, tmp_path / "junk.tar.gz")


def test_a_backup_never_overwrites_and_names_a_missing_database(tmp_path: Path) -> None:
    settings = backup_settings(tmp_path)
    with pytest.raises(BackupError, match="no database at"):
        backup(settings, tmp_path / "backup.tar.gz")
    assert not list(tmp_path.glob("*.tar.gz*")), "no partial archive left behind"
    (tmp_path / "taken.tar.gz").write_text("an older backup")
    with pytest.raises(BackupError, match="never overwrites"):
        backup(settings, tmp_path / "taken.tar.gz")
    assert (tmp_path / "taken.tar.gz").read_text() == "an older backup"


async def test_the_manifest_says_what_when_which_versions_and_checksums(tmp_path: Path) -> None:
    settings = backup_settings(tmp_path)
    await add_conversations(settings.database_url, 0, 1)
    archive, _ = backup(settings, tmp_path / "backup.tar.gz", now=STARTED)  # no index built yet
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        names = set(opened.getnames())
    assert manifest["format"] == FORMAT and manifest["created"] == "2026-11-03T09:30:00+00:00"
    assert {"python", "sqlite", "sqlalchemy", "qdrant-client"} <= set(manifest["versions"])
    database, index = manifest["parts"]
    assert database["kind"] == "sqlite" and index["kind"] == "none"
    assert database["schema_revision"] == head_revision()
    for entry in database["files"]:
        assert entry["path"] in names and len(entry["sha256"]) == 64
    restore(settings, archive, only="index")  # a missing index restores as "none", touching nothing


async def test_the_muni_commands_back_up_and_restore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUNI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}")
    monkeypatch.setenv("MUNI_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.delenv("MUNI_QDRANT_URL", raising=False)
    await add_conversations(os.environ["MUNI_DATABASE_URL"], 0, 1)

    assert muni(["backup", str(tmp_path / "b.tar.gz")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert muni(["restore", str(tmp_path / "b.tar.gz")]) == 1
    assert "--force" in capsys.readouterr().err
    assert muni(["restore", "--force", "--only", "database", str(tmp_path / "b.tar.gz")]) == 0
    monkeypatch.setenv("MUNI_DATABASE_URL", "mysql://somewhere/muni")
    assert muni(["backup", str(tmp_path / "c.tar.gz")]) == 1
    assert "MUNI_DATABASE_URL" in capsys.readouterr().err


@pytest.mark.postgres
async def test_postgresql_and_local_index_survive_a_wipe(tmp_path: Path, postgres_url: str) -> None:
    settings = backup_settings(tmp_path, postgres_url)
    await add_conversations(postgres_url, 0, 3)
    build_index(settings.index, PAGES)
    before = await conversations(postgres_url, 3)

    archive, manifest = await asyncio.to_thread(backup, settings, tmp_path / "backup.tar.gz")

    assert manifest["parts"][0]["kind"] == "postgresql"
    assert manifest["parts"][0]["schema_revision"] == head_revision()
    assert "pg_dump (PostgreSQL)" in manifest["parts"][0]["pg_dump"]
    assert manifest["parts"][0]["source"] == make_url(postgres_url).render_as_string(hide_password=True)
    engine = open_engine(postgres_url)
    async with engine.begin() as connection:  # wipe: every table goes
        result = await connection.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in result.all():
            await connection.exec_driver_sql(f'DROP TABLE "{table}" CASCADE')
    await engine.dispose()
    shutil.rmtree(tmp_path / "index")

    await asyncio.to_thread(restore, settings, archive)  # blocking, as the command line runs it

    assert await conversations(postgres_url, 3) == before
    assert indexed_urls(settings.index) == set(PAGES)


def test_an_archived_sqlite_database_is_one_self_contained_file(tmp_path: Path) -> None:
    database = tmp_path / "muni.db"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
    settings = backup_settings(tmp_path)
    archive, manifest = backup(settings, tmp_path / "b.tar.gz")
    assert [entry["path"] for entry in manifest["parts"][0]["files"]] == ["database/muni.sqlite"]
