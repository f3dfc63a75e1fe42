"""The crawl stores as the index's page sources: one per `<slug>.sqlite` in the crawl folder, closed after use."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from crawler.results import Outcome, UrlResult
from crawler.sources import CrawlStores
from crawler.store import CrawlStore
from knowledge.index.indexer import Indexer
from knowledge.index.lexical import danish_lemmatizer
from knowledge.index.records import Chunk, PageSources, StoredPage
from knowledge.index.store import KnowledgeIndex
from tests.knowledge.index.conftest import HashingEmbedder

WHEN = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def page(municipality: str, url: str, text: str) -> StoredPage:
    chunk = Chunk(municipality, url, "Affald", ("Affald",), text, 0, WHEN, f"chunk-{text}")
    return StoredPage(municipality, url, "Affald", f"page-{text}", WHEN, (chunk,))


def crawled(crawl_dir: Path, municipality: str, *pages: StoredPage, gone: tuple[str, ...] = ()) -> None:
    store = CrawlStore(crawl_dir / f"{municipality}.sqlite")
    store.begin_run()
    for stored in pages:
        store.record(UrlResult(stored.url, Outcome.STORED, page=stored, fetched_at=WHEN))
    for url in gone:
        store.record(UrlResult(url, Outcome.GONE, reason="HTTP 404"))
    store.close()


def test_each_crawl_store_in_the_folder_is_a_municipalitys_website(tmp_path: Path) -> None:
    crawled(tmp_path, "roskilde")
    crawled(tmp_path, "aarhus")
    (tmp_path / "noter.txt").write_text("ikke en crawl store", encoding="utf-8")
    websites: PageSources = CrawlStores(tmp_path)
    assert websites.municipalities() == ["aarhus", "roskilde"]


def test_a_folder_not_crawled_into_yet_has_no_websites(tmp_path: Path) -> None:
    assert CrawlStores(tmp_path / "crawl").municipalities() == []
    assert not (tmp_path / "crawl").exists()


def test_opening_reads_the_live_pages_and_gone_urls_and_closes_the_store(tmp_path: Path) -> None:
    bins = page("roskilde", "https://roskilde.dk/affald", "Skraldespanden tømmes hver anden uge.")
    old = page("roskilde", "https://roskilde.dk/gammel", "Den gamle side.")
    crawled(tmp_path, "roskilde", bins, old)
    crawled(tmp_path, "roskilde", gone=(old.url,))
    with CrawlStores(tmp_path).open("roskilde") as website:
        assert list(website.live_pages()) == [bins]
        assert list(website.gone_urls()) == [old.url]
    with pytest.raises(sqlite3.ProgrammingError):  # closed when the block ended
        list(website.live_pages())


def test_opening_a_municipality_without_a_store_creates_none(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no crawl store for 'odder'"), CrawlStores(tmp_path).open("odder"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_the_indexer_brings_a_municipality_up_to_date_with_its_crawl_store(tmp_path: Path) -> None:
    memory_index = KnowledgeIndex(QdrantClient(":memory:"), "test_knowledge")
    embedder = HashingEmbedder(danish_lemmatizer())
    bins = page("roskilde", "https://roskilde.dk/affald", "Skraldespanden tømmes hver anden uge.")
    old = page("roskilde", "https://roskilde.dk/gammel", "Den gamle side.")
    crawled(tmp_path, "roskilde", bins, old)
    indexer = Indexer(memory_index, embedder)
    with CrawlStores(tmp_path).open("roskilde") as website:
        first = indexer.index_website("roskilde", website)
    crawled(tmp_path, "roskilde", gone=(old.url,))
    with CrawlStores(tmp_path).open("roskilde") as website:
        second = indexer.index_website("roskilde", website)
    assert (first.new, first.chunks_embedded) == (2, 2)
    assert (second.unchanged, second.gone, second.chunks_embedded) == (1, 1, 0)
    assert [p["url"] for p in memory_index.payloads("roskilde")] == [bins.url]
