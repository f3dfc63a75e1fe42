"""The last crawl of a municipality's website, read from its crawl store, and starting one in the background.

The store is the crawler's SQLite file (`<MUNI_CRAWL_DIR>/<slug>.sqlite`, WAL): read here with
plain SQL, in a worker thread, never written. A crawl runs as `muni crawl <slug>` and then
`muni index` and `muni suggest --municipality <slug>` (the suggested values from the fresh pages),
child processes of the gateway, one per municipality at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

logger = logging.getLogger("muni.admin.crawls")

CRAWL_COMMAND = (sys.executable, "-m", "ops.cli", "crawl", "{slug}")
INDEX_COMMAND = (sys.executable, "-m", "ops.cli", "index")
SUGGEST_COMMAND = (sys.executable, "-m", "ops.cli", "suggest", "--municipality", "{slug}")
# What the page says a crawl started here is doing, step by step.
STAGES = ("Gennemgår hjemmesiden", "Opdaterer søgeindekset", "Finder forslag til lokale oplysninger")


@dataclass(frozen=True)
class CrawlSummary:
    run: int
    running: bool
    last_fetched_at: datetime | None
    pages: int  # stored pages the index is built from
    chunks: int  # the index's passages from this website
    errors: int  # URLs of the latest run that failed
    done: int  # URLs of the latest run handled so far
    queued: int  # URLs of the latest run still waiting


def read_summary(path: Path) -> CrawlSummary | None:
    """The store's latest run; None when the website has never been crawled."""
    if not path.is_file():
        return None
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        run = int(meta.get("run", 0))
        states = dict(connection.execute("SELECT state, count(*) FROM urls WHERE run = ? GROUP BY state", (run,)).fetchall())
        (errors,) = connection.execute("SELECT count(*) FROM urls WHERE run = ? AND outcome = 'error'", (run,)).fetchone()
        (last,) = connection.execute("SELECT max(fetched_at) FROM urls").fetchone()
        (pages,) = connection.execute("SELECT count(*) FROM pages p JOIN urls u ON u.id = p.url_id WHERE u.gone = 0").fetchone()
        (chunks,) = connection.execute(
            "SELECT count(*) FROM chunks c JOIN urls u ON u.id = c.url_id WHERE u.gone = 0"
        ).fetchone()
    except sqlite3.Error as error:
        logger.warning("Crawl store %s could not be read: %s", path.name, error)
        return None
    finally:
        connection.close()
    return CrawlSummary(
        run=run,
        running=meta.get("run_state") == "running",
        last_fetched_at=None if last is None else datetime.fromisoformat(last),
        pages=int(pages),
        chunks=int(chunks),
        errors=int(errors),
        done=int(states.get("done", 0)),
        queued=int(states.get("queued", 0)) + int(states.get("inflight", 0)),
    )


class CrawlRunner:
    """Crawls started from the console: one per municipality at a time, in the background."""

    def __init__(
        self,
        store_dir: Path,
        *,
        crawl: Sequence[str] = CRAWL_COMMAND,
        index: Sequence[str] = INDEX_COMMAND,
        suggest: Sequence[str] = SUGGEST_COMMAND,
    ) -> None:
        self.store_dir = store_dir
        self._steps = (tuple(crawl), tuple(index), tuple(suggest))
        self._running: dict[str, asyncio.Task[None]] = {}
        self._stage: dict[str, int] = {}
        self._failed: dict[str, str] = {}  # the last crawl started here whose step failed, by slug

    def store(self, slug: str) -> Path:
        return self.store_dir / f"{slug}.sqlite"

    async def summary(self, slug: str) -> CrawlSummary | None:
        return await asyncio.to_thread(read_summary, self.store(slug))

    def running(self, slug: str) -> bool:
        task = self._running.get(slug)
        return task is not None and not task.done()

    def stage(self, slug: str) -> str | None:
        """The step a crawl started here is at ("Gennemgår hjemmesiden", …); None when none runs."""
        return STAGES[self._stage[slug]] if self.running(slug) and slug in self._stage else None

    def failed(self, slug: str) -> str | None:
        """The step that failed in the last crawl started here, while no new one runs."""
        return None if self.running(slug) else self._failed.get(slug)

    def start(self, slug: str) -> bool:
        """Start crawling `slug` (then re-index); False when a crawl of it started here still runs."""
        if self.running(slug):
            return False
        self._running[slug] = asyncio.create_task(self._run(slug), name=f"crawl-{slug}")
        return True

    async def close(self) -> None:
        for task in self._running.values():
            task.cancel()
        for task in self._running.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, slug: str) -> None:
        self._failed.pop(slug, None)
        for number, step in enumerate(self._steps):
            self._stage[slug] = number
            command = [part.replace("{slug}", slug) for part in step]
            process = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
            try:
                code = await process.wait()
            except asyncio.CancelledError:
                process.terminate()
                raise
            logger.info("Console crawl of %s: %s exited %s", slug, STAGES[number], code)
            if code != 0:  # each step goes on: the index and suggestions use what the stores hold
                self._failed[slug] = STAGES[number]
