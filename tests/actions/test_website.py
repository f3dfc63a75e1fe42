"""Questions no guide intent covers are looked up in the index: guides and the municipality's own website."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify, ActionOutOfScope
from actions.guides import ActionAnswerGuide
from actions.website import extract
from knowledge import GuideLibrary
from knowledge.index.errors import IndexUnavailable
from knowledge.index.retriever import Hit
from tests.actions.conftest import OPEN_NOW, make_tracker, meta, texts

SWIMMING = Hit(
    municipality="aarhus",
    kind="web",
    topic=None,
    url="https://aarhus.dk/svoemmehaller/aabningstider",
    title="Åbningstider i svømmehallerne",
    heading_path=("Svømmehaller", "Åbningstider"),
    text="Spanien Bad har åbent mandag til fredag kl. 6.30-21.00. I weekenden er der åbent kl. 8-17. "
    "Billetter købes i døren eller online.",
    dense=0.88,
    lexical=4.2,
    fused=0.032,
)
SWIMMING_REPLY = (
    "Det her fandt jeg på Aarhus Kommunes hjemmeside under »Åbningstider i svømmehallerne«:\n\n"
    "Spanien Bad har åbent mandag til fredag kl. 6.30-21.00. I weekenden er der åbent kl. 8-17. "
    "Billetter købes i døren eller online.\n\n"
    "Læs mere på siden – og kontakt gerne kommunen, hvis du er i tvivl."
)
SWIMMING_META = {
    "topic": None,
    "source": "web",
    "handoff": False,
    "links": [{"title": "Åbningstider i svømmehallerne", "url": "https://aarhus.dk/svoemmehaller/aabningstider"}],
    "missing": [],
}


def guide_reply(topic: str, municipality: str) -> tuple[list[str], dict[str, Any]]:
    """The texts and metadata that answer with the municipality's guide, read from the guide library."""
    answer = GuideLibrary.load().answer(topic, municipality)
    assert answer.missing == (), "every variable of the guide is filled in for this municipality"
    links = [{"title": link.title, "url": link.url} for link in answer.links]
    return [answer.text], {"topic": topic, "source": "guide", "handoff": False, "links": links, "missing": []}


class FakeKnowledge:
    """Stands in for the retriever behind the same interface; `hits` best first, all confident
    unless listed in `unsure`; like the retriever, returns only the asked municipality's; records
    what it was asked."""

    def __init__(self, *hits: Hit | None, error: Exception | None = None, unsure: tuple[Hit, ...] = ()) -> None:
        self.hits = [hit for hit in hits if hit is not None]
        self.error = error
        self.unsure = unsure
        self.asked: list[tuple[str, str]] = []

    async def asearch(self, municipality: str, question: str, *, limit: int = 5) -> list[Hit]:
        self.asked.append((municipality, question))
        if self.error is not None:
            raise self.error
        return [hit for hit in self.hits if hit.municipality == municipality][:limit]

    async def abest(self, municipality: str, question: str) -> Hit | None:
        hits = await self.asearch(municipality, question, limit=1)
        return hits[0] if hits and self.confident(hits[0]) else None

    def confident(self, hit: Hit) -> bool:
        return hit not in self.unsure

    async def ahas_web_pages(self, municipality: str) -> bool:
        if self.error is not None:
            raise self.error
        return self.web_pages

    web_pages = True

    def __call__(self) -> FakeKnowledge:
        return self


async def test_a_web_passage_answers_with_its_extract_title_and_link(dispatcher: CollectingDispatcher) -> None:
    knowledge = FakeKnowledge(SWIMMING)
    tracker = make_tracker(intent="nlu_fallback", text="hvornår har svømmehallen åbent", slots={"failed_turns": 1})
    events = await ActionClarify(clock=lambda: OPEN_NOW, knowledge=knowledge).run(dispatcher, tracker, {})
    assert knowledge.asked == [("aarhus", "hvornår har svømmehallen åbent")]
    assert texts(dispatcher) == [SWIMMING_REPLY]
    assert meta(dispatcher) == SWIMMING_META
    assert events == [SlotSet("failed_turns", 0)]


async def test_a_web_passage_carries_the_topic_it_is_about(dispatcher: CollectingDispatcher) -> None:
    bulky = dataclasses.replace(SWIMMING, topic="waste", title="Storskrald", text="Storskrald hentes hver 4. uge.")
    tracker = make_tracker(intent="out_of_scope", text="må jeg stille en sofa ud til storskrald")
    await ActionOutOfScope(clock=lambda: OPEN_NOW, knowledge=FakeKnowledge(bulky)).run(dispatcher, tracker, {})
    assert texts(dispatcher) == [
        "Det her fandt jeg på Aarhus Kommunes hjemmeside under »Storskrald«:\n\nStorskrald hentes hver 4. uge.\n\n"
        "Læs mere på siden – og kontakt gerne kommunen, hvis du er i tvivl."
    ]
    assert meta(dispatcher) == {
        "topic": "waste",
        "source": "web",
        "handoff": False,
        "links": [{"title": "Storskrald", "url": SWIMMING.url}],
        "missing": [],
    }


async def test_a_guide_passage_answers_with_the_whole_guide_of_the_municipality(dispatcher: CollectingDispatcher) -> None:
    guide = dataclasses.replace(
        SWIMMING, municipality="viborg", kind="guide", topic="passport", url="guide:passport", title="Pas"
    )
    tracker = make_tracker(intent="nlu_fallback", text="hvad skal jeg gøre for at få et nyt rejsedokument", municipality="viborg")
    events = await ActionClarify(clock=lambda: OPEN_NOW, knowledge=FakeKnowledge(guide)).run(dispatcher, tracker, {})
    viborg_texts, viborg_meta = guide_reply("passport", "viborg")
    assert viborg_texts != guide_reply("passport", "aarhus")[0], "the guide names the municipality"
    assert texts(dispatcher) == viborg_texts
    assert meta(dispatcher) == viborg_meta
    assert events == [SlotSet("failed_turns", 0)]


async def test_nothing_relevant_means_the_honest_fallback(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="out_of_scope", text="hvem vinder VM i fodbold")
    events = await ActionOutOfScope(clock=lambda: OPEN_NOW, knowledge=FakeKnowledge()).run(dispatcher, tracker, {})
    assert texts(dispatcher) == [
        "Det kan jeg desværre ikke hjælpe med. Jeg svarer på spørgsmål om Aarhus Kommunes service – fx pas, "
        "kørekort, flytning, affald, boligstøtte og pasning af børn."
    ]
    assert dispatcher.messages[0]["buttons"] == [{"title": "Tal med en medarbejder", "payload": "/human_agent"}]
    assert meta(dispatcher) == {"topic": None, "source": "fallback", "handoff": False, "links": [], "missing": []}
    assert events == [SlotSet("failed_turns", 1)]


async def test_an_unavailable_index_falls_back_and_tells_the_operator(
    dispatcher: CollectingDispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    knowledge = FakeKnowledge(error=IndexUnavailable("no index in var/index: run `muni index` first"))
    tracker = make_tracker(intent="nlu_fallback", text="hvornår har svømmehallen åbent", slots={"failed_turns": 1})
    with caplog.at_level(logging.WARNING, logger="muni.actions.website"):
        events = await ActionClarify(clock=lambda: OPEN_NOW, knowledge=knowledge).run(dispatcher, tracker, {})
    # The second failed turn: say so, and offer the contact centre (open now) and the municipality.
    assert texts(dispatcher) == [
        "Jeg kan desværre ikke finde et godt svar på det. En medarbejder kan hjælpe dig videre.",
        "Du kan tale med en medarbejder i Den Digitale Hotline på telefon 70 20 00 00. "
        "Kontaktcentret har åbent nu (til kl. 20.00).",
        f"Du kan også kontakte Aarhus Kommune direkte: {GuideLibrary.load().contact_line('aarhus')}",
    ]
    assert meta(dispatcher) == {
        "topic": None,
        "source": "fallback",
        "handoff": True,
        "links": [{"title": "Kontakt Aarhus Kommune", "url": "https://aarhus.dk"}],
        "missing": [],
    }
    assert events == [SlotSet("failed_turns", 0)]
    assert [record for record in caplog.record_tuples if record[0] == "muni.actions.website"] == [
        (
            "muni.actions.website",
            logging.WARNING,
            "knowledge index unavailable for aarhus: no index in var/index: run `muni index` first",
        )
    ]


async def test_button_payloads_and_empty_turns_are_not_searched(dispatcher: CollectingDispatcher) -> None:
    knowledge = FakeKnowledge(SWIMMING)
    for text in ("", "/human_agent"):
        await ActionClarify(clock=lambda: OPEN_NOW, knowledge=knowledge).run(
            dispatcher, make_tracker(intent="nlu_fallback", text=text), {}
        )
    await ActionClarify(clock=lambda: OPEN_NOW, knowledge=knowledge).run(
        dispatcher, make_tracker(intent="nlu_fallback", text="svømmehal", municipality=None), {}
    )
    assert knowledge.asked == []


def test_the_extract_ends_on_a_whole_sentence() -> None:
    text = "Første sætning er her. " * 40
    # The fifth sentence would end at character 114: the extract stops after the fourth (91 characters).
    assert extract(text, limit=100) == " ".join(["Første sætning er her."] * 4)
    assert extract("Kort tekst uden punktum") == "Kort tekst uden punktum"


def test_an_extract_without_sentence_ends_is_cut_between_words() -> None:
    # The last space before character 50 is at 47: twelve whole words, then the ellipsis.
    assert extract("ord " * 200, limit=50) == " ".join(["ord"] * 12) + " …"


GUIDE_HOURS = dataclasses.replace(
    SWIMMING, kind="guide", topic="citizen_service_contact", url="guide:citizen_service_contact", title="Borgerservice"
)


async def test_a_guide_that_covers_the_question_only_in_general_gives_way_to_the_website(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(intent="citizen_service_contact", text="hvornår har svømmehallen åbent i weekenden")
    knowledge = FakeKnowledge(SWIMMING, dataclasses.replace(SWIMMING, url="https://aarhus.dk/"))
    events = await ActionAnswerGuide(knowledge=knowledge).run(dispatcher, tracker, {})
    assert knowledge.asked == [("aarhus", "hvornår har svømmehallen åbent i weekenden")]
    assert texts(dispatcher) == [SWIMMING_REPLY]
    assert meta(dispatcher) == SWIMMING_META
    assert events == [SlotSet("failed_turns", 0)]


@pytest.mark.parametrize(
    "knowledge",
    [
        FakeKnowledge(SWIMMING, GUIDE_HOURS),  # the chosen guide is among the top hits
        FakeKnowledge(dataclasses.replace(SWIMMING, topic="citizen_service_contact")),  # the page is about the guide's topic
        FakeKnowledge(SWIMMING, unsure=(SWIMMING,)),  # the page is below the threshold
        FakeKnowledge(GUIDE_HOURS),  # the guide itself comes first
        FakeKnowledge(),  # nothing in the index
        FakeKnowledge(error=IndexUnavailable("no index")),  # the index is down
    ],
    ids=["guide in top hits", "same topic", "not confident", "guide first", "empty", "index down"],
)
async def test_otherwise_the_guide_the_nlu_chose_answers(dispatcher: CollectingDispatcher, knowledge: FakeKnowledge) -> None:
    tracker = make_tracker(intent="citizen_service_contact", text="hvornår har I åbent")
    await ActionAnswerGuide(knowledge=knowledge).run(dispatcher, tracker, {})
    guide_texts, guide_meta = guide_reply("citizen_service_contact", "aarhus")
    assert texts(dispatcher) == guide_texts
    assert meta(dispatcher) == guide_meta


async def test_the_index_reports_warming_until_the_model_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from actions import website

    monkeypatch.setenv("MUNI_INDEX_DIR", str(tmp_path / "index"))
    website.retriever.cache_clear()
    website.warmup.cache_clear()
    try:
        assert await website.knowledge_health() == {
            "status": "warming",
            "reason": "loading the embedding model and opening the index",
        }
        await website.warm_knowledge()  # no index built: nothing to load
        assert await website.knowledge_health() == {
            "status": "empty",
            "reason": "the index holds no passages: run `muni index`",
        }
    finally:
        website.retriever.cache_clear()
        website.warmup.cache_clear()


async def test_a_municipality_without_a_crawled_website_is_not_searched_for_guide_questions(
    dispatcher: CollectingDispatcher,
) -> None:
    knowledge = FakeKnowledge(SWIMMING)
    knowledge.web_pages = False
    tracker = make_tracker(intent="citizen_service_contact", text="hvornår har svømmehallen åbent i weekenden")
    await ActionAnswerGuide(knowledge=knowledge).run(dispatcher, tracker, {})
    assert knowledge.asked == []
    guide_texts, guide_meta = guide_reply("citizen_service_contact", "aarhus")
    assert texts(dispatcher) == guide_texts
    assert meta(dispatcher) == guide_meta
