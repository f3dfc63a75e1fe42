"""`muni backup DEST` and `muni restore SRC`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from muni.env import SettingsError
from ops.backup.archive import BackupError
from ops.backup.run import PARTS, BackupSettings, backup, restore


def register(commands: Any) -> None:
    """Add the sub-commands to the `muni` dispatcher's subparsers."""
    create = commands.add_parser("backup", help="archive the SQL database and the vector index into one file")
    create.add_argument("destination", metavar="DEST", type=Path, help="the archive to write, or a folder for a dated one")
    create.set_defaults(handler=run_backup)
    back = commands.add_parser("restore", help="restore the SQL database and the vector index from an archive")
    back.add_argument("source", metavar="SRC", type=Path, help="an archive `muni backup` wrote")
    back.add_argument("--only", choices=PARTS, help="restore only this part")
    back.add_argument("--force", action="store_true", help="replace a database that holds data")
    back.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        path, manifest = backup(BackupSettings.from_env(), args.destination)
    except (SettingsError, BackupError) as error:
        print(f"muni backup: {error}", file=sys.stderr)
        return 1
    for part in manifest["parts"]:
        size = sum(entry["bytes"] for entry in part["files"])
        print(f"{part['name']}: {part['kind']}, {len(part['files'])} files, {size / 1024 / 1024:.1f} MiB")
    print(f"wrote {path} ({path.stat().st_size / 1024 / 1024:.1f} MiB) in {time.perf_counter() - started:.1f} s")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    try:
        done = restore(BackupSettings.from_env(), args.source, only=args.only, force=args.force)
    except (SettingsError, BackupError) as error:
        print(f"muni restore: {error}", file=sys.stderr)
        return 1
    print("\n".join(done))
    return 0
