"""The crawl store: one SQLite file per municipality holding the frontier, one result per URL, and the pages.

The frontier and the seen-set live here, on disk, so memory stays flat however large the site is,
and a killed crawl resumes where its last commit left it (in-flight URLs are queued again).
The index reads pages through `live_pages()` and `gone_urls()`, also while a crawl writes (WAL).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from crawler.results import FrontierUrl, Outcome, RunInfo, RunSummary, UrlRecord, UrlResult
from knowledge.index.records import Chunk, StoredPage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    run INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    state TEXT NOT NULL,            -- queued, inflight, done (within `run`)
    outcome TEXT, reason TEXT, status INTEGER,
    etag TEXT, last_modified TEXT,
    sitemap_lastmod TEXT,           -- as the latest sitemap says
    synced_lastmod TEXT,            -- the sitemap lastmod when the stored page was fetched
    content_hash TEXT, fetched_at TEXT,
    outlinks TEXT,                  -- in-scope links, newline-separated: re-queued when a page is unchanged
    has_page INTEGER NOT NULL DEFAULT 0,
    gone INTEGER NOT NULL DEFAULT 0 -- had a page that the site no longer serves
);
CREATE INDEX IF NOT EXISTS urls_frontier ON urls (run, state, depth, id);
CREATE INDEX IF NOT EXISTS urls_gone ON urls (gone) WHERE gone = 1;
CREATE TABLE IF NOT EXISTS variants (run INTEGER NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (run, key));
CREATE TABLE IF NOT EXISTS pages (
    url_id INTEGER PRIMARY KEY REFERENCES urls (id),
    municipality TEXT NOT NULL, title TEXT NOT NULL, content_hash TEXT NOT NULL, crawled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    url_id INTEGER NOT NULL REFERENCES urls (id), position INTEGER NOT NULL,
    title TEXT NOT NULL, heading_path TEXT NOT NULL, text TEXT NOT NULL,
    content_hash TEXT NOT NULL, crawled_at TEXT NOT NULL,
    PRIMARY KEY (url_id, position)
);
"""

# Outcomes after which a stored page no longer stands for the URL and leaves the index.
_REMOVES_PAGE = frozenset({Outcome.GONE, Outcome.NO_CONTENT, Outcome.SKIPPED, Outcome.REDIRECTED})


class CrawlStore:
    """One municipality's crawl state and pages in a SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._run = int(self._meta("run", 0))

    # -- the index's side ---------------------------------------------------

    def live_pages(self) -> Iterator[StoredPage]:
        """Every stored page with its chunks, page by page (streamed, not loaded at once)."""
        rows = self._db.execute(
            "SELECT u.id, u.url, p.municipality, p.title, p.content_hash, p.crawled_at,"
            " c.position, c.title, c.heading_path, c.text, c.content_hash, c.crawled_at"
            " FROM pages p JOIN urls u ON u.id = p.url_id LEFT JOIN chunks c ON c.url_id = p.url_id"
            " WHERE u.gone = 0 ORDER BY p.url_id, c.position"
        )
        for _, group in itertools.groupby(rows, key=lambda row: row[0]):
            first, *rest = list(group)
            _, url, municipality, title, page_hash, crawled_at = first[:6]
            chunks = tuple(
                Chunk(
                    municipality=municipality,
                    url=url,
                    title=row[7],
                    heading_path=tuple(json.loads(row[8])),
                    text=row[9],
                    position=row[6],
                    crawled_at=datetime.fromisoformat(row[11]),
                    content_hash=row[10],
                )
                for row in (first, *rest)
                if row[6] is not None
            )
            yield StoredPage(municipality, url, title, page_hash, datetime.fromisoformat(crawled_at), chunks)

    def gone_urls(self) -> list[str]:
        """URLs whose pages the site no longer serves (404/410, or not reached by a complete crawl)."""
        return [row[0] for row in self._db.execute("SELECT url FROM urls WHERE gone = 1 ORDER BY id")]

    def close(self) -> None:
        self._db.commit()
        self._db.close()

    # -- runs ---------------------------------------------------------------

    def begin_run(self) -> RunInfo:
        """Resume the unfinished run (its in-flight URLs queued again) or start a new one."""
        if self._meta("run_state", "finished") == "running":
            self._db.execute("UPDATE urls SET state = 'queued' WHERE run = ? AND state = 'inflight'", (self._run,))
            self._db.commit()
            return RunInfo(self._run, resumed=True)
        self._run += 1
        self._set_meta("run", self._run)
        self._set_meta("run_state", "running")
        self._db.commit()
        return RunInfo(self._run, resumed=False)

    def finish_run(self, *, complete: bool) -> int:
        """End the run; a complete one marks pages it never reached as gone. Returns how many."""
        gone = 0
        if complete:
            stale = [row[0] for row in self._db.execute("SELECT id FROM urls WHERE has_page = 1 AND run < ?", (self._run,))]
            for url_id in stale:
                self._remove_page(url_id)
            gone = len(stale)
        self._set_meta("run_state", "finished")
        self._db.commit()
        return gone

    # -- the frontier -------------------------------------------------------

    def enqueue(self, entries: Iterable[tuple[str, int, str | None]]) -> int:
        """Queue (url, depth, sitemap lastmod) for this run unless already seen in it; returns how many were new."""
        before = self._db.total_changes
        self._db.executemany(
            "INSERT INTO urls (url, run, depth, state, sitemap_lastmod) VALUES (?, ?, ?, 'queued', ?)"
            " ON CONFLICT (url) DO UPDATE SET run = excluded.run, depth = excluded.depth, state = 'queued',"
            " sitemap_lastmod = coalesce(excluded.sitemap_lastmod, urls.sitemap_lastmod)"
            " WHERE urls.run < excluded.run",
            ((url, self._run, depth, lastmod) for url, depth, lastmod in entries),
        )
        return self._db.total_changes - before

    def unseen(self, urls: list[str]) -> list[str]:
        """Those of `urls` this run has not queued or visited yet."""
        seen: set[str] = set()
        for start in range(0, len(urls), 500):
            batch = urls[start : start + 500]
            marks = ",".join("?" * len(batch))
            # Looked up by the url index alone; filtering on run in SQL lets SQLite pick the run index and scan.
            rows = self._db.execute(f"SELECT url, run FROM urls WHERE url IN ({marks})", batch).fetchall()
            seen.update(url for url, run in rows if run == self._run)
        return [url for url in urls if url not in seen]

    def count_variant(self, key: str) -> int:
        """Count one more URL of a trap-prone shape in this run; returns the count so far."""
        row = self._db.execute(
            "INSERT INTO variants (run, key, n) VALUES (?, ?, 1)"
            " ON CONFLICT (run, key) DO UPDATE SET n = n + 1 RETURNING n",
            (self._run, key),
        ).fetchone()
        return int(row[0])

    def claim(self, url: str, depth: int) -> bool:
        """Take a redirect's target for this fetch unless this run already visits it."""
        before = self._db.total_changes
        self._db.execute(
            "INSERT INTO urls (url, run, depth, state) VALUES (?, ?, ?, 'inflight')"
            " ON CONFLICT (url) DO UPDATE SET run = excluded.run, state = 'inflight'"
            " WHERE urls.run < excluded.run OR urls.state = 'queued'",
            (url, self._run, depth),
        )
        return self._db.total_changes > before

    def take(self, limit: int) -> list[FrontierUrl]:
        """The next queued URLs, shallowest first, now marked in flight."""
        rows = self._db.execute(
            "SELECT id, url, depth, sitemap_lastmod, synced_lastmod, etag, last_modified, has_page FROM urls"
            " WHERE run = ? AND state = 'queued' ORDER BY depth, id LIMIT ?",
            (self._run, limit),
        ).fetchall()
        self._db.executemany("UPDATE urls SET state = 'inflight' WHERE id = ?", ((row[0],) for row in rows))
        return [FrontierUrl(row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7])) for row in rows]

    def outlinks(self, url: str) -> list[str]:
        row = self._db.execute("SELECT outlinks FROM urls WHERE url = ?", (url,)).fetchone()
        return row[0].split("\n") if row and row[0] else []

    def queued(self) -> int:
        return self._count("state = 'queued'")

    def visited(self) -> int:
        return self._count("state = 'done'")

    # -- results ------------------------------------------------------------

    def record(self, result: UrlResult) -> None:
        """Write a URL's one result record (and its page) whole or not at all; visible to others at the next commit()."""
        if not self._db.in_transaction:
            self._db.execute("BEGIN")  # so the savepoint below nests instead of committing on release
        self._db.execute("SAVEPOINT record")
        try:
            self._record(result)
        except sqlite3.Error:
            self._db.execute("ROLLBACK TO record")
            self._db.execute("RELEASE record")
            raise
        self._db.execute("RELEASE record")

    def _record(self, result: UrlResult) -> None:
        fetched_at = result.fetched_at.isoformat() if result.fetched_at else None
        self._db.execute(
            "INSERT INTO urls (url, run, depth, state) VALUES (?, ?, ?, 'done') ON CONFLICT (url) DO NOTHING",
            (result.url, self._run, result.depth),
        )
        self._db.execute(
            "UPDATE urls SET run = ?, state = 'done', outcome = ?, reason = ?, status = ?,"
            " fetched_at = coalesce(?, fetched_at) WHERE url = ?",
            (self._run, result.outcome.value, result.reason, result.status, fetched_at, result.url),
        )
        url_id = self._db.execute("SELECT id FROM urls WHERE url = ?", (result.url,)).fetchone()[0]
        if result.outlinks is not None:
            self._db.execute("UPDATE urls SET outlinks = ? WHERE id = ?", ("\n".join(result.outlinks), url_id))
        if result.outcome is Outcome.STORED:
            self._db.execute(
                "UPDATE urls SET etag = ?, last_modified = ?, synced_lastmod = ? WHERE id = ?",
                (result.etag, result.last_modified, result.synced_lastmod, url_id),
            )
        if result.page is not None:
            self._write_page(url_id, result.page)
        elif result.outcome in _REMOVES_PAGE:
            self._remove_page(url_id)

    def commit(self) -> None:
        self._db.commit()

    def record_of(self, url: str) -> UrlRecord | None:
        row = self._db.execute(
            "SELECT url, run, depth, state, outcome, reason, status, etag, last_modified, sitemap_lastmod,"
            " has_page, gone FROM urls WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        url_, run, depth, state, outcome, reason, status, etag, last_modified, sitemap_lastmod, has_page, gone = row
        return UrlRecord(
            url_, run, depth, state, outcome, reason, status, etag, last_modified, sitemap_lastmod,
            has_page=bool(has_page), gone=bool(gone),
        )  # fmt: skip

    def summary(self) -> RunSummary:
        """Counts per outcome and the commonest reasons in the current run."""
        outcomes = dict(
            self._db.execute(
                "SELECT outcome, count(*) FROM urls WHERE run = ? AND state = 'done' GROUP BY outcome", (self._run,)
            ).fetchall()
        )
        reasons = self._db.execute(
            "SELECT outcome, reason, count(*) FROM urls WHERE run = ? AND state = 'done' AND reason IS NOT NULL"
            " GROUP BY outcome, reason ORDER BY count(*) DESC, reason LIMIT 10",
            (self._run,),
        ).fetchall()
        return RunSummary(self._run, outcomes, tuple((f"{o}: {r}", n) for o, r, n in reasons))

    # -- internals ----------------------------------------------------------

    def _write_page(self, url_id: int, page: StoredPage) -> None:
        self._db.execute("DELETE FROM chunks WHERE url_id = ?", (url_id,))
        self._db.execute(
            "INSERT OR REPLACE INTO pages (url_id, municipality, title, content_hash, crawled_at) VALUES (?, ?, ?, ?, ?)",
            (url_id, page.municipality, page.title, page.content_hash, page.crawled_at.isoformat()),
        )
        self._db.executemany(
            "INSERT INTO chunks (url_id, position, title, heading_path, text, content_hash, crawled_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (url_id, c.position, c.title, json.dumps(c.heading_path), c.text, c.content_hash, c.crawled_at.isoformat())
                for c in page.chunks
            ),
        )
        self._db.execute(
            "UPDATE urls SET has_page = 1, gone = 0, content_hash = ? WHERE id = ?", (page.content_hash, url_id)
        )

    def _remove_page(self, url_id: int) -> None:
        self._db.execute("DELETE FROM chunks WHERE url_id = ?", (url_id,))
        if self._db.execute("DELETE FROM pages WHERE url_id = ?", (url_id,)).rowcount:
            self._db.execute("UPDATE urls SET has_page = 0, gone = 1 WHERE id = ?", (url_id,))

    def _count(self, where: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM urls WHERE run = ? AND {where}", (self._run,)).fetchone()[0])

    def _meta(self, key: str, default: int | str) -> int | str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        return int(row[0]) if isinstance(default, int) else str(row[0])

    def _set_meta(self, key: str, value: int | str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))
