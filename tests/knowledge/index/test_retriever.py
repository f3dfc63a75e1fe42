"""Hybrid search behaviour with the deterministic test embedder."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from knowledge.index.indexer import Indexer
from knowledge.index.records import RenderedGuide, StoredPage
from knowledge.index.retriever import Hit, Retriever
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KnowledgeIndex
from tests.knowledge.index.conftest import HashingEmbedder, sha

WASTE = "https://odder.dk/affald"
LIBRARY = "https://odder.dk/bibliotek"
WASTE_TEXT = "Storskrald hentes gratis efter aftale med Odder Forsyning."
QUESTION = "Hvordan får jeg hentet storskrald?"


def thresholds(settings: IndexSettings, threshold: float, threshold_dense_only: float) -> IndexSettings:
    return IndexSettings(
        settings.index_dir, settings.crawl_dir, threshold=threshold, threshold_dense_only=threshold_dense_only
    )


@pytest.fixture
def retriever(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, settings: IndexSettings, pages: Callable[..., StoredPage]
) -> Retriever:
    Indexer(memory_index, embedder).index_pages("odder", [
        pages("odder", WASTE, "Affald", WASTE_TEXT),
        pages("odder", LIBRARY, "Bibliotek", "Biblioteket låner bøger og film ud."),
    ], [])
    return Retriever(memory_index, embedder, settings)


def cosine(embedder: HashingEmbedder, question: str, passage: str) -> float:
    return float(embedder.encode_queries([question])[0] @ embedder.encode_passages([passage])[0])


def test_hits_carry_scores_from_both_rankings_and_the_fused_order(
    retriever: Retriever, embedder: HashingEmbedder
) -> None:
    top, other = retriever.search("odder", QUESTION)
    # The waste page is first by meaning and by words; the library shares no lemma, so it is only in the dense ranking.
    assert (top.url, other.url) == (WASTE, LIBRARY)
    assert (top.fused, other.fused) == (pytest.approx(1 / 61 + 1 / 61), pytest.approx(1 / 62))
    assert top.lexical > 0 and other.lexical == 0.0
    assert top.dense == pytest.approx(cosine(embedder, QUESTION, f"Affald – Affald\n{WASTE_TEXT}"))
    assert top.dense > other.dense
    assert top == Hit(
        "odder", "web", None, WASTE, "Affald", ("Affald",), WASTE_TEXT,
        dense=top.dense, lexical=top.lexical, fused=top.fused,
    )


def test_limit_cuts_the_same_ranking(retriever: Retriever) -> None:
    both = retriever.search("odder", "storskrald bibliotek", limit=5)
    assert [hit.url for hit in both] == [LIBRARY, WASTE]  # the library page matches "bibliotek" twice
    assert retriever.search("odder", "storskrald bibliotek", limit=1) == both[:1]


def test_best_needs_a_confident_top_hit(retriever: Retriever, settings: IndexSettings) -> None:
    strict = Retriever(retriever.source, retriever.embedder, thresholds(settings, 1.0, 1.0))
    assert strict.best("odder", QUESTION) is None
    lenient = Retriever(retriever.source, retriever.embedder, thresholds(settings, 0.0, 1.0))
    best = lenient.best("odder", QUESTION)
    assert best is not None and best == lenient.search("odder", QUESTION)[0] and best.url == WASTE
    # No lemma in common with any passage: only the dense-only threshold (1.0 here) could let it answer.
    assert lenient.best("odder", "Hvad koster et pas?") is None


def test_a_dense_only_hit_needs_the_higher_threshold(retriever: Retriever, settings: IndexSettings) -> None:
    two = Retriever(retriever.source, retriever.embedder, thresholds(settings, 0.85, 0.9))

    def hit(dense: float, lexical: float) -> Hit:
        return Hit("odder", "web", None, "u", "t", (), "x", dense=dense, lexical=lexical, fused=0.03)

    assert not two.confident(hit(0.86, 0.0))
    assert two.confident(hit(0.86, 1.5))
    assert two.confident(hit(0.91, 0.0))
    assert two.confident(hit(0.85, 1.5)) and two.confident(hit(0.9, 0.0))  # the thresholds themselves count
    assert not two.confident(hit(0.849, 1.5)) and not two.confident(hit(0.899, 0.0))


async def test_async_search_runs_off_the_event_loop(retriever: Retriever, settings: IndexSettings) -> None:
    hits = await retriever.asearch("odder", "storskrald")
    assert hits == retriever.search("odder", "storskrald")
    assert [hit.url for hit in hits] == [WASTE, LIBRARY]
    assert await retriever.abest("odder", "storskrald") is None  # a cosine of 0.32 is far below 0.865
    lenient = Retriever(retriever.source, retriever.embedder, thresholds(settings, 0.0, 1.0))
    assert await lenient.abest("odder", "storskrald") == hits[0]


def test_a_guide_hit_carries_its_topic_and_guide_url(
    retriever: Retriever, memory_index: KnowledgeIndex, embedder: HashingEmbedder
) -> None:
    """What the fallback actions read off a guide hit (actions/website.py): kind, topic, url, title, text."""
    text = "Ring til Odder Forsyning og bestil afhentning af storskrald."
    title = "Storskrald"
    about = "Afhentning af storskrald"
    guide = RenderedGuide("odder", "bulky_waste", title, about, (text,), sha("\n".join([title, about, text])))
    Indexer(memory_index, embedder).index_guides("odder", [guide])
    top = retriever.search("odder", "Hvordan bestiller jeg afhentning af storskrald?")[0]
    assert top == Hit(
        "odder", "guide", "bulky_waste", "guide:bulky_waste", title, (about,), text,
        dense=top.dense, lexical=top.lexical, fused=top.fused,
    )


def test_it_knows_which_municipalities_have_their_website_indexed(
    retriever: Retriever, memory_index: KnowledgeIndex, embedder: HashingEmbedder, settings: IndexSettings,
    pages: Callable[..., StoredPage],
) -> None:
    assert retriever.has_web_pages("odder") is True
    assert retriever.has_web_pages("skive") is False  # nothing indexed at all
    indexer = Indexer(memory_index, embedder)
    indexer.index_pages("skive", [
        pages("skive", "https://skive.dk/svoemmehal", "Svømmehal", "Svømmehallen har åbent alle dage."),
    ], [])
    guide = RenderedGuide("viborg", "passport", "Pas", "", ("Et pas koster 893 kr.",), sha("pas"))
    indexer.index_guides("viborg", [guide])
    assert retriever.has_web_pages("skive") is False  # remembered for a minute on the same index
    fresh = Retriever(memory_index, embedder, settings)
    assert fresh.has_web_pages("skive") is True
    assert fresh.has_web_pages("viborg") is False  # guides only: no website
