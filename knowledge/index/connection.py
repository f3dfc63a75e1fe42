"""Opening the index: a Qdrant server, or local mode's live generation, for reading or writing."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qdrant_client import QdrantClient

from knowledge.index.errors import IndexUnavailable
from knowledge.index.generations import QDRANT_LOCK, Generations
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KnowledgeIndex, index_errors

logger = logging.getLogger("muni.knowledge.index")


def open_local(path: Path, collection: str) -> KnowledgeIndex:
    try:
        return KnowledgeIndex(QdrantClient(path=str(path)), collection)
    except RuntimeError as error:  # qdrant-client: "already accessed by another instance"
        raise IndexUnavailable(f"cannot open {path}: {error}") from error


def private_copy(path: Path) -> Path:
    """A copy of a generation (without its lock) that only this process opens; the caller removes it."""
    copy = Path(tempfile.mkdtemp(prefix="muni-index-"))
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns(QDRANT_LOCK), dirs_exist_ok=True)
    return copy


def connect_server(settings: IndexSettings) -> KnowledgeIndex:
    client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=settings.timeout_s)
    return KnowledgeIndex(client, settings.collection)


@contextmanager
def writable_index(settings: IndexSettings) -> Iterator[KnowledgeIndex]:
    """Where an index run writes: the server collection, or a new generation published on success."""
    if not settings.local:
        index = connect_server(settings)
        try:
            with index_errors(f"writing to the Qdrant server at {settings.qdrant_url}"):
                yield index
        finally:
            index.close()
        return
    generations = Generations(settings.index_dir)
    with generations.build_lock():
        path = generations.prepare()
        index = open_local(path, settings.collection)
        try:
            yield index
        except BaseException:
            index.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        index.close()
        generations.publish(path)


@contextmanager
def snapshot_index(settings: IndexSettings) -> Iterator[KnowledgeIndex]:
    """For one-off readers (`muni search`): the live generation, or a private copy when a server holds it."""
    if not settings.local:
        index = connect_server(settings)
    else:
        current = Generations(settings.index_dir).current()
        if current is None:
            raise IndexUnavailable(f"no index in {settings.index_dir}: run `muni index` first")
        try:
            index = open_local(current, settings.collection)
        except IndexUnavailable:
            with tempfile.TemporaryDirectory(prefix="muni-index-") as copy:
                shutil.copytree(current, copy, ignore=shutil.ignore_patterns(QDRANT_LOCK), dirs_exist_ok=True)
                index = open_local(Path(copy), settings.collection)
                try:
                    yield index
                finally:
                    index.close()
            return
    try:
        with index_errors(f"reading the index at {settings.qdrant_url or settings.index_dir}"):
            yield index
    finally:
        index.close()


class LiveIndex:
    """A long-running reader's index: follows CURRENT, reopening when an index run published a new one.

    Searches go one at a time through `use()`: local mode searches run in this process under the
    GIL anyway, and the lock makes sure no search is running on a generation while it is closed.
    A new generation is opened in a background thread while searches go on in the old one (local
    mode loads every point into memory: about 7 s at 50,000 chunks), then swapped in.
    When another reader holds the live generation (a second stack on the same folder, `make eval`
    beside `make run`), this one reads a private copy of it instead of failing.
    """

    def __init__(self, settings: IndexSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._index: KnowledgeIndex | None = None
        self._path: Path | None = None
        self._copy: Path | None = None
        self._loading: Path | None = None  # the generation a background thread is opening
        self._loaded: tuple[KnowledgeIndex, Path, Path | None] | None = None

    @contextmanager
    def use(self) -> Iterator[KnowledgeIndex]:
        with self._lock:
            yield self._refresh()

    def _refresh(self) -> KnowledgeIndex:
        if not self.settings.local:
            if self._index is None:
                self._index = connect_server(self.settings)
            return self._index
        current = Generations(self.settings.index_dir).current()
        if current is None:
            raise IndexUnavailable(f"no index in {self.settings.index_dir}: run `muni index` first")
        if self._loaded is not None:
            self._swap_in(*self._loaded)
            self._loaded = None
        if self._index is None:
            self._swap_in(*self._open(current))  # nothing to answer from meanwhile: open it now
        elif current != self._path and current != self._loading:
            self._loading = current
            threading.Thread(target=self._open_in_background, args=(current,), daemon=True).start()
        if self._index is None:  # _swap_in always sets it; this says so to the type checker
            raise IndexUnavailable(f"cannot open the index in {self.settings.index_dir}")
        return self._index

    def _open(self, path: Path) -> tuple[KnowledgeIndex, Path, Path | None]:
        try:
            return open_local(path, self.settings.collection), path, None
        except IndexUnavailable:
            copy = private_copy(path)
            return open_local(copy, self.settings.collection), path, copy

    def _open_in_background(self, path: Path) -> None:
        try:
            opened = self._open(path)
        except (IndexUnavailable, OSError) as error:
            logger.warning("cannot open the new index generation %s, still answering from the old one: %s", path, error)
            with self._lock:
                self._loading = None
            return
        with self._lock:
            if self._loaded is not None:  # a newer one got there first: keep the newest
                self._close(*self._loaded)
            self._loaded = opened
            self._loading = None

    def _swap_in(self, index: KnowledgeIndex, path: Path, copy: Path | None) -> None:
        self._release()  # releases the old generation's lock, so the indexer may prune it
        self._index, self._path, self._copy = index, path, copy

    @staticmethod
    def _close(index: KnowledgeIndex, path: Path, copy: Path | None) -> None:
        index.close()
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)

    def _release(self) -> None:
        if self._index is not None:
            self._index.close()
        if self._copy is not None:
            shutil.rmtree(self._copy, ignore_errors=True)
        self._index = self._path = self._copy = None

    @property
    def path(self) -> Path | None:
        return self._path

    def close(self) -> None:
        with self._lock:
            self._release()
            if self._loaded is not None:
                self._close(*self._loaded)
                self._loaded = None
