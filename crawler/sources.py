"""The crawl stores as the index's page sources: one SQLite file per municipality in the crawl folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.store import CrawlStore

STORE_SUFFIX = ".sqlite"


class CrawlStores:
    """The stores `muni crawl` wrote into one folder (`<slug>.sqlite`), as `knowledge.index.records.PageSources`."""

    def __init__(self, crawl_dir: Path) -> None:
        self.crawl_dir = crawl_dir

    def municipalities(self) -> list[str]:
        """The slugs with a crawl store; none when the folder does not exist (nothing crawled yet)."""
        if not self.crawl_dir.is_dir():
            return []
        return sorted(path.stem for path in self.crawl_dir.glob(f"*{STORE_SUFFIX}"))

    @contextmanager
    def open(self, municipality: str) -> Iterator[CrawlStore]:
        """The municipality's store, closed after the block; reading never creates one."""
        path = self.crawl_dir / f"{municipality}{STORE_SUFFIX}"
        if not path.is_file():
            raise FileNotFoundError(f"no crawl store for {municipality!r} at {path}")
        store = CrawlStore(path)
        try:
            yield store
        finally:
            store.close()
