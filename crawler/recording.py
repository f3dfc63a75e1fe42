"""Results into the store in batches: one transaction per COMMIT_EVERY results or per second, progress shown."""

from __future__ import annotations

import logging
import sqlite3
import time

from crawler.progress import Progress
from crawler.results import Outcome, UrlResult
from crawler.store import CrawlStore

log = logging.getLogger(__name__)

COMMIT_EVERY = 200  # results per transaction
COMMIT_INTERVAL_S = 1.0


class Recorder:
    """Writes each URL's result; what is committed is consistent, so a killed crawl resumes from the last commit."""

    def __init__(self, store: CrawlStore, progress: Progress) -> None:
        self._store = store
        self._progress = progress
        self._uncommitted = 0
        self._last_commit = time.monotonic()

    def record(self, result: UrlResult, *, fetched: int) -> None:
        try:
            self._store.record(result)
        except sqlite3.IntegrityError as exc:  # this page's data broke a constraint: its error, not the crawl's
            if result.page is None:
                raise
            log.warning("storing %s failed: %s", result.url, exc)
            result = UrlResult(result.url, Outcome.ERROR, result.depth, reason="storing the page failed")
            self._store.record(result)
        self._progress.count(result.outcome)
        self._uncommitted += 1
        now = time.monotonic()
        if self._uncommitted >= COMMIT_EVERY or now - self._last_commit >= COMMIT_INTERVAL_S:
            self.commit()
            self._progress.show(fetched=fetched, queued=self._store.queued())

    def commit(self) -> None:
        self._store.commit()
        self._uncommitted, self._last_commit = 0, time.monotonic()

    def close(self) -> None:
        self.commit()
        self._progress.close()
