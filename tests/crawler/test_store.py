"""The crawl store as the index reads it: live pages with their chunks, gone URLs, readable while a crawl writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawler.results import Outcome, UrlResult
from crawler.store import CrawlStore
from knowledge.index.records import Chunk, StoredPage

WHEN = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def stored(url: str, *texts: str) -> StoredPage:
    chunks = tuple(
        Chunk("roskilde", url, "Affald", ("Affald", f"Afsnit {n}"), text, n, WHEN, f"hash-{text}")
        for n, text in enumerate(texts)
    )
    return StoredPage("roskilde", url, "Affald", f"page-{'-'.join(texts)}", WHEN, chunks)


def test_pages_round_trip_with_their_chunks_in_order(tmp_path: Path) -> None:
    store = CrawlStore(tmp_path / "roskilde.sqlite")
    store.begin_run()
    page = stored("https://roskilde.dk/affald", "første", "anden", "tredje")
    store.record(UrlResult(page.url, Outcome.STORED, page=page, fetched_at=WHEN))
    store.record(UrlResult("https://roskilde.dk/tom", Outcome.NO_CONTENT))
    store.commit()
    assert list(store.live_pages()) == [page]
    store.close()


def test_a_reader_sees_committed_pages_while_a_crawl_writes(tmp_path: Path) -> None:
    path = tmp_path / "roskilde.sqlite"
    crawl = CrawlStore(path)
    crawl.begin_run()
    crawl.record(UrlResult("https://roskilde.dk/a", Outcome.STORED, page=stored("https://roskilde.dk/a", "a")))
    crawl.commit()
    crawl.record(UrlResult("https://roskilde.dk/b", Outcome.STORED, page=stored("https://roskilde.dk/b", "b")))
    index = CrawlStore(path)
    assert [p.url for p in index.live_pages()] == ["https://roskilde.dk/a"]  # b is not committed yet
    crawl.commit()
    assert [p.url for p in index.live_pages()] == ["https://roskilde.dk/a", "https://roskilde.dk/b"]
    index.close()
    crawl.close()


def test_gone_pages_leave_live_pages_and_come_back(tmp_path: Path) -> None:
    store = CrawlStore(tmp_path / "roskilde.sqlite")
    store.begin_run()
    url = "https://roskilde.dk/a"
    store.record(UrlResult(url, Outcome.STORED, page=stored(url, "a")))
    store.record(UrlResult("https://roskilde.dk/aldrig", Outcome.GONE, reason="HTTP 404"))
    store.record(UrlResult(url, Outcome.GONE, reason="HTTP 410"))
    assert list(store.live_pages()) == []
    assert store.gone_urls() == [url]  # only URLs that had a page: the index has something to remove
    store.record(UrlResult(url, Outcome.STORED, page=stored(url, "a")))
    assert store.gone_urls() == []
    store.record(UrlResult(url, Outcome.ERROR, reason="HTTP 500"))
    assert [p.url for p in store.live_pages()] == [url]  # an error keeps what was stored
    store.close()
