from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guides import ActionAnswerGuide
from tests.actions.conftest import make_tracker, meta, texts


async def answer(topic: str, municipality: str | None) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerGuide().run(dispatcher, make_tracker(intent=topic, municipality=municipality), {})
    assert SlotSet("failed_turns", 0) in events
    return dispatcher


async def test_a_guide_answer_names_its_topic_and_source() -> None:
    dispatcher = await answer("passport", "aarhus")
    assert meta(dispatcher)["topic"] == "passport"
    assert meta(dispatcher)["source"] == "guide"
    assert meta(dispatcher)["handoff"] is False
    assert "Aarhus Kommune" in texts(dispatcher)[0]
    assert all(link["url"].startswith("https://") for link in meta(dispatcher)["links"])


async def test_the_answer_depends_on_the_municipality() -> None:
    aarhus = texts(await answer("passport", "aarhus"))[0]
    viborg = texts(await answer("passport", "viborg"))[0]
    assert aarhus != viborg
    assert "Viborg Kommune" in viborg and "Aarhus Kommune" not in viborg


async def test_a_missing_local_value_is_reported_and_never_leaks_a_placeholder() -> None:
    # Samsø's tenant file leaves out local values on purpose.
    dispatcher = await answer("passport", "samsoe")
    assert "{" not in texts(dispatcher)[0]
    assert meta(dispatcher)["missing"], "the gap is passed on so staff can fill it"
    assert all(gap["topic"] == "passport" for gap in meta(dispatcher)["missing"])


async def test_an_unknown_municipality_gets_the_way_to_a_human() -> None:
    dispatcher = await answer("passport", "atlantis")
    assert meta(dispatcher)["handoff"] is True
    assert meta(dispatcher)["source"] == "fallback"
    assert meta(dispatcher)["topic"] is None


async def test_a_question_about_the_emergency_numbers_gets_the_emergency_guide_not_the_emergency_answer() -> None:
    dispatcher = await answer("emergency_info", "egedal")
    assert meta(dispatcher)["topic"] == "emergency"
    assert meta(dispatcher)["source"] == "guide"
    text = texts(dispatcher)[0]
    assert "Akuttelefonen 1813" in text and "Giftlinjen" in text and "Livslinien" in text
    assert "https://egedalkommune.dk/beredskab" in [link["url"] for link in meta(dispatcher)["links"]]
