"""Every search stays inside one municipality, however alike the municipalities' pages are."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from knowledge.index.indexer import Indexer
from knowledge.index.records import StoredPage
from knowledge.index.retriever import Retriever
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KnowledgeIndex
from tests.knowledge.index.conftest import HashingEmbedder

TOWNS = ("aarhus", "odder", "samsoe")
QUESTIONS = ("Hvornår tømmes skraldespanden?", "Hvad koster et pas?", "Hvornår har Borgerservice åbent?")


@pytest.fixture
def retriever(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, settings: IndexSettings, pages: Callable[..., StoredPage]
) -> Retriever:
    indexer = Indexer(memory_index, embedder)
    for town in TOWNS:
        host = f"https://{town}.dk"
        indexer.index_pages(town, [
            pages(town, f"{host}/affald", "Affald", f"Skraldespanden tømmes hver anden uge i {town}."),
            pages(town, f"{host}/pas", "Pas", "Et pas koster 893 kr. Bestil tid i Borgerservice."),
            pages(town, f"{host}/kontakt", "Kontakt", "Borgerservice har åbent mandag til fredag kl. 10-15."),
        ], [])
    return Retriever(memory_index, embedder, settings)


@pytest.mark.parametrize("town", TOWNS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_a_search_returns_only_its_own_municipalitys_pages(retriever: Retriever, town: str, question: str) -> None:
    hits = retriever.search(town, question, limit=10)
    assert len(hits) == 3
    assert {hit.municipality for hit in hits} == {town}
    assert all(hit.url.startswith(f"https://{town}.dk/") for hit in hits)


def test_a_municipality_with_nothing_indexed_gets_nothing(retriever: Retriever) -> None:
    assert retriever.search("viborg", "Hvad koster et pas?") == []
    assert retriever.best("viborg", "Hvad koster et pas?") is None


def test_the_municipality_is_required(retriever: Retriever) -> None:
    with pytest.raises(ValueError):
        retriever.search("", "Hvad koster et pas?")


def test_each_municipality_has_its_own_collection(retriever: Retriever, memory_index: KnowledgeIndex) -> None:
    assert memory_index.municipalities() == sorted(TOWNS)
    assert memory_index.count() == 9 and memory_index.count("odder") == 3


def test_a_slug_that_could_name_another_collection_is_refused(memory_index: KnowledgeIndex) -> None:
    with pytest.raises(ValueError):
        memory_index.name("odder__x")
