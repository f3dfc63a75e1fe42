"""Back up and restore: the settings they read, and the order of the steps."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from knowledge.index.errors import IndexSettingsError
from knowledge.index.settings import IndexSettings
from muni import env
from muni.db import check_database_url
from muni.env import SettingsError
from muni.paths import var_dir
from ops.backup.archive import FORMAT, BackupError, read_archive, write_archive
from ops.backup.database import backup_database, restore_database
from ops.backup.index import backup_index, restore_index

PARTS = ("database", "index")


@dataclass(frozen=True)
class BackupSettings:
    database_url: str  # the gateway's conversation log and admin data (MUNI_DATABASE_URL)
    index: IndexSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> BackupSettings:
        """The same database and index the gateway and the action server use; SettingsError naming a bad value."""
        url = env.value(environ, "MUNI_DATABASE_URL")
        try:
            index = IndexSettings.from_env(environ)
        except IndexSettingsError as error:
            raise SettingsError(str(error)) from None
        return cls(
            database_url=(
                f"sqlite+aiosqlite:///{var_dir(environ) / 'muni.db'}"
                if url is None
                else check_database_url("MUNI_DATABASE_URL", url)
            ),
            index=index,
        )


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for distribution in ("muni", "sqlalchemy", "qdrant-client"):
        try:
            found[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            found[distribution] = "not installed"
    return found


def archive_path(destination: Path, now: datetime) -> Path:
    """destination itself, or a dated file in it when it is a folder; never an existing file."""
    path = destination / f"muni-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz" if destination.is_dir() else destination
    if path.exists():
        raise BackupError(f"{path} exists already: a backup never overwrites one")
    if not path.parent.is_dir():
        raise BackupError(f"no folder {path.parent} to write the backup into")
    return path


def backup(settings: BackupSettings, destination: Path, *, now: datetime | None = None) -> tuple[Path, dict[str, Any]]:
    """Archive the database and the index; the archive's path and its manifest."""
    now = now or datetime.now(UTC)
    path = archive_path(destination, now)
    with tempfile.TemporaryDirectory(prefix=".muni-backup-", dir=path.parent) as staging_dir:
        staging = Path(staging_dir)
        parts = [backup_database(settings.database_url, staging), backup_index(settings.index, staging)]
        manifest = {"format": FORMAT, "created": now.isoformat(timespec="seconds"), "versions": versions(), "parts": parts}
        write_archive(staging, manifest, path)
    return path, manifest


def restore(settings: BackupSettings, source: Path, *, only: str | None = None, force: bool = False) -> list[str]:
    """Check the whole archive, then restore its parts (or `only` one); what was restored, in words."""
    with tempfile.TemporaryDirectory(prefix=".muni-restore-") as unpacked_dir:
        unpacked = Path(unpacked_dir)
        manifest = read_archive(source, unpacked)
        parts = {part["name"]: part for part in manifest["parts"]}
        wanted = [only] if only else [name for name in PARTS if name in parts]
        if only and only not in parts:
            raise BackupError(f"{source} holds no {only} (it holds: {', '.join(parts)})")
        done = []
        if "database" in wanted:
            done.append(restore_database(settings.database_url, parts["database"], unpacked, force=force))
        if "index" in wanted:
            done.append(restore_index(settings.index, parts["index"], unpacked))
        return done
