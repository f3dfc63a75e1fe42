"""Hybrid search behaviour with the deterministic test embedder."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from knowledge.index.indexer import Indexer
from knowledge.index.records import StoredPage
from knowledge.index.retriever import Hit, Retriever
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KnowledgeIndex
from tests.knowledge.index.conftest import HashingEmbedder


def thresholds(settings: IndexSettings, threshold: float, threshold_dense_only: float) -> IndexSettings:
    return IndexSettings(
        settings.index_dir, settings.crawl_dir, threshold=threshold, threshold_dense_only=threshold_dense_only
    )


@pytest.fixture
def retriever(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, settings: IndexSettings, pages: Callable[..., StoredPage]
) -> Retriever:
    Indexer(memory_index, embedder).index_pages("odder", [
        pages("odder", "https://odder.dk/affald", "Affald", "Storskrald hentes gratis efter aftale med Odder Forsyning."),
        pages("odder", "https://odder.dk/bibliotek", "Bibliotek", "Biblioteket låner bøger og film ud."),
    ], [])
    return Retriever(memory_index, embedder, settings)


def test_hits_carry_scores_from_both_rankings_and_the_fused_order(retriever: Retriever) -> None:
    hits = retriever.search("odder", "Hvordan får jeg hentet storskrald?")
    assert hits[0].url == "https://odder.dk/affald"
    assert hits[0].lexical > 0 and hits[0].dense > 0 and hits[0].fused > hits[-1].fused
    assert hits[0].kind == "web" and hits[0].heading_path == ("Affald",)


def test_limit_bounds_the_hits(retriever: Retriever) -> None:
    assert len(retriever.search("odder", "storskrald bibliotek", limit=1)) == 1


def test_best_needs_a_confident_top_hit(retriever: Retriever, settings: IndexSettings) -> None:
    strict = Retriever(retriever.source, retriever.embedder, thresholds(settings, 1.0, 1.0))
    assert strict.best("odder", "Hvordan får jeg hentet storskrald?") is None
    lenient = Retriever(retriever.source, retriever.embedder, thresholds(settings, 0.0, 1.0))
    assert isinstance(lenient.best("odder", "Hvordan får jeg hentet storskrald?"), Hit)


def test_a_dense_only_hit_needs_the_higher_threshold(retriever: Retriever, settings: IndexSettings) -> None:
    two = Retriever(retriever.source, retriever.embedder, thresholds(settings, 0.85, 0.9))
    assert not two.confident(Hit("odder", "web", None, "u", "t", (), "x", dense=0.86, lexical=0.0, fused=0.03))
    assert two.confident(Hit("odder", "web", None, "u", "t", (), "x", dense=0.86, lexical=1.5, fused=0.03))
    assert two.confident(Hit("odder", "web", None, "u", "t", (), "x", dense=0.91, lexical=0.0, fused=0.03))


async def test_async_search_runs_off_the_event_loop(retriever: Retriever) -> None:
    hits = await retriever.asearch("odder", "storskrald")
    assert hits and hits[0].url == "https://odder.dk/affald"
    assert (await retriever.abest("odder", "storskrald")) in (None, hits[0])


def test_it_knows_which_municipalities_have_their_website_indexed(
    retriever: Retriever, memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Callable[..., StoredPage]
) -> None:
    assert retriever.has_web_pages("odder") is True
    assert retriever.has_web_pages("skive") is False  # nothing indexed at all
    Indexer(memory_index, embedder).index_pages("skive", [
        pages("skive", "https://skive.dk/svoemmehal", "Svømmehal", "Svømmehallen har åbent alle dage."),
    ], [])
    assert retriever.has_web_pages("skive") is False  # remembered for a minute on the same index
