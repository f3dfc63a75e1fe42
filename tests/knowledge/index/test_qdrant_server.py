"""The index on a Qdrant server, the production backend (MUNI_QDRANT_URL).

The tests that need a server run where one answers at MUNI_TEST_QDRANT_URL (default
http://127.0.0.1:6333) and are skipped with that reason elsewhere: these machines run no
Qdrant server. What a server that is down does to a search runs everywhere.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from qdrant_client import QdrantClient

from knowledge.index.connection import LiveIndex, writable_index
from knowledge.index.errors import IndexUnavailable
from knowledge.index.indexer import Indexer
from knowledge.index.records import StoredPage
from knowledge.index.retriever import Retriever
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KEYWORD_FIELDS
from tests.knowledge.index.conftest import HashingEmbedder
from tests.support.ports import free_port  # nothing listens on it

SERVER = os.environ.get("MUNI_TEST_QDRANT_URL", "http://127.0.0.1:6333")


def _server_missing() -> str | None:
    try:
        QdrantClient(url=SERVER, timeout=2).get_collections()
    except Exception as error:
        return (
            f"no Qdrant server at {SERVER}: {type(error).__name__}: {error} "
            "(start one there, e.g. the qdrant/qdrant container image, or set MUNI_TEST_QDRANT_URL)"
        )
    return None


MISSING = _server_missing()
needs_server = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture
def server_settings(settings: IndexSettings) -> Iterator[IndexSettings]:
    """Settings for a collection of this test's own on the server, removed afterwards."""
    base = f"muni_test_{uuid.uuid4().hex[:12]}"
    yield IndexSettings(index_dir=settings.index_dir, crawl_dir=settings.crawl_dir, qdrant_url=SERVER,
                        collection=base, timeout_s=5)
    client = QdrantClient(url=SERVER, timeout=5)
    for collection in client.get_collections().collections:
        if collection.name.startswith(f"{base}__"):
            client.delete_collection(collection.name)
    client.close()


def _site(pages: Callable[..., StoredPage], town: str, *, fee: str = "893") -> list[StoredPage]:
    host = f"https://{town}.dk"
    return [
        pages(town, f"{host}/affald", "Affald", f"Skraldespanden tømmes hver anden uge i {town}."),
        pages(town, f"{host}/pas", "Pas", f"Et pas koster {fee} kr. Bestil tid i Borgerservice."),
        pages(town, f"{host}/kontakt", "Kontakt", "Borgerservice har åbent mandag til fredag kl. 10-15."),
    ]


@needs_server
def test_a_server_index_is_written_searched_and_kept_per_municipality(
    server_settings: IndexSettings, embedder: HashingEmbedder, pages: Callable[..., StoredPage]
) -> None:
    with writable_index(server_settings) as index:
        indexer = Indexer(index, embedder)
        for town in ("aarhus", "odder"):
            indexer.index_pages(town, _site(pages, town), [])
        schema = index.client.get_collection(index.name("aarhus")).payload_schema
        assert set(KEYWORD_FIELDS) <= set(schema)  # the server indexes the filtered fields
    retriever = Retriever(LiveIndex(server_settings), embedder, server_settings)
    hits = retriever.search("odder", "Hvad koster et pas?", limit=3)
    assert hits[0].url == "https://odder.dk/pas"
    assert {hit.municipality for hit in hits} == {"odder"}
    assert retriever.has_web_pages("aarhus") and not retriever.has_web_pages("viborg")
    assert retriever.search("viborg", "Hvad koster et pas?") == []


@needs_server
def test_a_server_index_is_incremental(
    server_settings: IndexSettings, embedder: HashingEmbedder, pages: Callable[..., StoredPage]
) -> None:
    with writable_index(server_settings) as index:
        indexer = Indexer(index, embedder)
        indexer.index_pages("aarhus", _site(pages, "aarhus"), [])
        again = indexer.index_pages("aarhus", _site(pages, "aarhus"), [])
        assert (again.unchanged, again.chunks_embedded) == (3, 0)
        changed = indexer.index_pages("aarhus", _site(pages, "aarhus", fee="927")[:2], ["https://aarhus.dk/kontakt"])
        assert (changed.changed, changed.chunks_embedded, changed.gone) == (1, 1, 1)
        texts = sorted(payload["text"] for payload in index.payloads("aarhus"))
    assert texts == ["Et pas koster 927 kr. Bestil tid i Borgerservice.", "Skraldespanden tømmes hver anden uge i aarhus."]


def test_a_server_that_is_down_makes_the_index_unavailable_quickly(
    settings: IndexSettings, embedder: HashingEmbedder
) -> None:
    down = IndexSettings(index_dir=settings.index_dir, crawl_dir=settings.crawl_dir,
                         qdrant_url=f"http://127.0.0.1:{free_port()}", timeout_s=2)
    retriever = Retriever(LiveIndex(down), embedder, down)
    started = time.monotonic()
    with pytest.raises(IndexUnavailable):
        retriever.search("aarhus", "Hvad koster et pas?")
    with pytest.raises(IndexUnavailable):
        retriever.has_web_pages("aarhus")
    assert time.monotonic() - started < 10
