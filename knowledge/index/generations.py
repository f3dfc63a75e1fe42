"""Local mode's generation folders: readers keep one open while an indexer builds the next.

qdrant-client's local mode lets one process open a storage folder (it holds an exclusive lock on
the folder's `.lock`). So the indexer never writes the folder a reader has open: it copies the
current generation, updates the copy, and names it in CURRENT, which readers check before each
search. Published generations are never written again, which is what makes copying them safe.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import portalocker

from knowledge.index.errors import IndexUnavailable

CURRENT = "CURRENT"
PREFIX = "g-"
KEEP = 2  # the live generation and the one before it (a reader may still be on it)
QDRANT_LOCK = ".lock"  # qdrant-client local mode's lock file inside a storage folder


class Generations:
    def __init__(self, root: Path):
        self.root = root

    def current(self) -> Path | None:
        """The live generation's folder, or None before the first index run."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name.startswith(PREFIX) and path.is_dir() else None

    def all(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        found = [p for p in self.root.iterdir() if p.is_dir() and p.name.startswith(PREFIX) and p.name[2:].isdigit()]
        return sorted(found, key=lambda p: int(p.name[len(PREFIX) :]))

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """One index run at a time per index folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".indexer.lock", "a+") as handle:
            try:
                portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
            except portalocker.exceptions.LockException:
                raise IndexUnavailable(f"another index run is writing {self.root}") from None
            try:
                yield
            finally:
                portalocker.unlock(handle)

    def prepare(self) -> Path:
        """A new generation folder: a copy of the current one (without its lock), or empty."""
        existing = self.all()
        number = int(existing[-1].name[len(PREFIX) :]) + 1 if existing else 1
        path = self.root / f"{PREFIX}{number:06d}"
        current = self.current()
        if current is None:
            path.mkdir(parents=True)
        else:
            shutil.copytree(current, path, ignore=shutil.ignore_patterns(QDRANT_LOCK))
        return path

    def publish(self, path: Path) -> None:
        """Make path the live generation atomically, then remove old unused generations."""
        temporary = self.root / f".{CURRENT}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(path.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.root / CURRENT)
        self.prune()

    def prune(self) -> list[Path]:
        """Remove generations older than the last KEEP that no reader holds; returns those removed."""
        current = self.current()
        removed = []
        for path in self.all()[:-KEEP]:
            if path != current and remove_unless_locked(path):
                removed.append(path)
        return removed


def remove_unless_locked(path: Path) -> bool:
    """Delete a generation unless a process has it open (holding its lock while deleting)."""
    lock_path = path / QDRANT_LOCK
    if not lock_path.exists():
        shutil.rmtree(path)
        return True
    with open(lock_path, "r+") as handle:
        try:
            portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException:
            return False
        shutil.rmtree(path)
        portalocker.unlock(handle)
    return True
