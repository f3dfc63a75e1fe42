"""Incremental indexing: deterministic ids, unchanged pages and guides not embedded again, gone ones removed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from knowledge.guides import GuideLibrary
from knowledge.index.guides import rendered_guides
from knowledge.index.indexer import Indexer
from knowledge.index.records import RenderedGuide, StoredPage
from knowledge.index.store import KnowledgeIndex, point_id
from tests.knowledge.index.conftest import HashingEmbedder, sha

Pages = Callable[..., StoredPage]


def site(pages: Pages, version: str = "") -> list[StoredPage]:
    return [
        pages(
            "aarhus", "https://aarhus.dk/affald", "Affald",
            "Skraldespanden tømmes hver anden uge.", "Storskrald hentes efter aftale.", version=version,
        ),
        pages("aarhus", "https://aarhus.dk/pas", "Pas", "Pas bestilles i Borgerservice."),
    ]


def test_point_ids_are_deterministic_per_municipality_url_and_position() -> None:
    assert point_id("aarhus", "https://aarhus.dk/a", 0) == point_id("aarhus", "https://aarhus.dk/a", 0)
    assert point_id("aarhus", "https://aarhus.dk/a", 0) != point_id("odder", "https://aarhus.dk/a", 0)
    assert point_id("aarhus", "https://aarhus.dk/a", 0) != point_id("aarhus", "https://aarhus.dk/a", 1)


def test_a_first_run_indexes_every_chunk(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    report = Indexer(memory_index, embedder).index_pages("aarhus", site(pages), [])
    assert (report.new, report.changed, report.unchanged, report.chunks_embedded) == (2, 0, 0, 3)
    assert memory_index.count("aarhus") == 3


def test_unchanged_pages_are_not_embedded_again(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    Indexer(memory_index, embedder).index_pages("aarhus", site(pages), [])
    before = embedder.encoded
    report = Indexer(memory_index, embedder).index_pages("aarhus", site(pages), [])
    assert (report.unchanged, report.chunks_embedded, embedder.encoded - before) == (2, 0, 0)
    assert memory_index.count("aarhus") == 3


def test_a_changed_page_is_re_embedded_and_its_old_chunks_replaced(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    indexer = Indexer(memory_index, embedder)
    indexer.index_pages("aarhus", site(pages), [])
    shorter = pages("aarhus", "https://aarhus.dk/affald", "Affald", "Skraldespanden tømmes hver uge.")
    report = indexer.index_pages("aarhus", [shorter, site(pages)[1]], [])
    assert (report.changed, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert memory_index.count("aarhus") == 2  # the old second chunk is gone, not left behind
    texts = {payload["text"] for payload in memory_index.payloads("aarhus")}
    assert "Skraldespanden tømmes hver uge." in texts and "Storskrald hentes efter aftale." not in texts


def test_re_indexing_overwrites_instead_of_duplicating(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    indexer = Indexer(memory_index, embedder)
    indexer.index_pages("aarhus", site(pages), [])
    indexer.index_pages("aarhus", site(pages, version="v2"), [])
    assert memory_index.count("aarhus") == 3


def test_gone_pages_are_removed_and_only_in_their_municipality(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    indexer = Indexer(memory_index, embedder)
    indexer.index_pages("aarhus", site(pages), [])
    indexer.index_pages("odder", [pages("odder", "https://aarhus.dk/pas", "Pas", "Pas i Odder.")], [])
    gone = ["https://aarhus.dk/pas", "https://aarhus.dk/never-indexed"]
    report = indexer.index_pages("aarhus", site(pages)[:1], gone)
    assert report.gone == 1
    assert memory_index.count("aarhus") == 2 and memory_index.count("odder") == 1


def test_guides_are_indexed_per_municipality_with_their_topic_and_local_values(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, library: GuideLibrary
) -> None:
    indexer = Indexer(memory_index, embedder)
    first = indexer.index_guides("aarhus", rendered_guides(library, "aarhus"))
    again = indexer.index_guides("aarhus", rendered_guides(library, "aarhus"))
    assert first.new > 20 and again.chunks_embedded == 0 and again.unchanged == first.new
    passport = [p for p in memory_index.payloads("aarhus") if p["topic"] == "passport"]
    assert passport and all(p["kind"] == "guide" and p["url"] == "guide:passport" for p in passport)
    assert any("Aarhus Kommune" in p["text"] for p in passport)
    assert not any("demo-data" in p["text"] for p in passport)


def guide(topic: str, *passages: str, municipality: str = "aarhus") -> RenderedGuide:
    title = topic.capitalize()
    return RenderedGuide(municipality, topic, title, f"Om {topic}", passages, sha("\n".join([title, *passages])))


def test_a_guide_has_no_crawl_time_and_a_web_page_keeps_its_own(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    indexer = Indexer(memory_index, embedder)
    indexer.index_guides("aarhus", [guide("passport", "Et pas koster 893 kr.")])
    indexer.index_pages("aarhus", site(pages)[1:], [])
    by_url = {p["url"]: p for p in memory_index.payloads("aarhus")}
    assert "crawled_at" not in by_url["guide:passport"]
    assert by_url["https://aarhus.dk/pas"]["crawled_at"] == "2026-11-01T12:00:00+00:00"
    assert by_url["guide:passport"] | {"text": None} == {
        "municipality": "aarhus", "kind": "guide", "topic": "passport", "url": "guide:passport", "title": "Passport",
        "heading_path": ["Om passport"], "text": None, "position": 0, "content_hash": sha("Et pas koster 893 kr."),
        "page_hash": guide("passport", "Et pas koster 893 kr.").content_hash,
    }


def test_only_a_changed_guide_is_embedded_again_and_a_withdrawn_guide_goes(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder
) -> None:
    indexer = Indexer(memory_index, embedder)
    passport = guide("passport", "Et pas koster 893 kr.", "Bestil tid i Borgerservice.")
    waste = guide("waste", "Skraldespanden tømmes hver anden uge.")
    moving = guide("moving", "Meld flytning på borger.dk.")
    indexer.index_guides("aarhus", [passport, waste, moving])
    before = embedder.encoded

    cheaper = guide("passport", "Et pas koster 800 kr.")  # one passage now, and another price
    report = indexer.index_guides("aarhus", [cheaper, waste])

    assert (report.new, report.changed, report.unchanged, report.gone) == (0, 1, 1, 1)
    assert (report.chunks_embedded, embedder.encoded - before) == (1, 1)
    assert sorted((p["url"], p["position"], p["text"]) for p in memory_index.payloads("aarhus")) == [
        ("guide:passport", 0, "Et pas koster 800 kr."),
        ("guide:waste", 0, "Skraldespanden tømmes hver anden uge."),
    ]


def test_guides_and_web_pages_are_kept_apart(
    memory_index: KnowledgeIndex, embedder: HashingEmbedder, pages: Pages
) -> None:
    """Withdrawn guides are found among guides only: indexing the guides never removes a web page."""
    indexer = Indexer(memory_index, embedder)
    indexer.index_pages("aarhus", site(pages), [])
    report = indexer.index_guides("aarhus", [guide("passport", "Et pas koster 893 kr.")])
    assert (report.new, report.gone) == (1, 0)
    assert memory_index.count("aarhus") == 4
    assert indexer.index_pages("aarhus", site(pages), []).unchanged == 2


def test_a_record_of_another_municipality_is_refused(memory_index: KnowledgeIndex, embedder: HashingEmbedder) -> None:
    indexer = Indexer(memory_index, embedder)
    with pytest.raises(ValueError, match="guide:passport belongs to 'odder', not 'aarhus'"):
        indexer.index_guides("aarhus", [guide("passport", "Et pas i Odder.", municipality="odder")])
    assert memory_index.count("aarhus") == 0
