"""The actions answer in English when the gateway's metadata says "language": "en", in Danish otherwise."""
from __future__ import annotations

import string
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionFinishBooking
from actions.booking_questions import ActionAskBookingSlot
from actions.conversation import ActionConverse
from actions.fallback import ActionClarify
from actions.guides import ActionAnswerGuide
from actions.handoff import ActionHandoff
from actions.replies import PROMPTS_EN_PATH, PROMPTS_PATH, conversation_language
from actions.safety import ActionEmergency
from booking.offers import encode_slot
from muni.sealed import ContactSealer
from tests.actions.conftest import CLOSED_NOW, OPEN_NOW, make_tracker, meta, texts
from tests.actions.test_booking import SECRET, FakeDesk, opener, tuesday_slots

EN = {"language": "en"}


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _prompts(path: Any) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_prompt_has_an_english_version_with_the_same_names_and_buttons() -> None:
    danish, english = _prompts(PROMPTS_PATH), _prompts(PROMPTS_EN_PATH)

    assert set(danish) == set(english)
    for key, prompt in danish.items():
        assert _names(english[key]["text"]) == _names(prompt["text"]), key
        assert english[key]["text"] != prompt["text"], key
        danish_buttons, english_buttons = prompt.get("buttons", []), english[key].get("buttons", [])
        # Payloads and answers are read by the bot and the Danish parsers: only titles are translated.
        assert [{**b, "title": None} for b in english_buttons] == [{**b, "title": None} for b in danish_buttons], key


@pytest.mark.parametrize(
    ("metadata", "expected"), [({"language": "en"}, "en"), ({"language": "da"}, "da"), ({"language": "de"}, "da"), ({}, "da")]
)
def test_the_answer_language_is_english_only_for_english(metadata: dict[str, str], expected: str) -> None:
    assert conversation_language(make_tracker(intent="greeting", metadata=metadata)) == expected


def test_the_language_of_an_earlier_turn_holds_when_the_latest_has_none() -> None:
    earlier = make_tracker(intent="greeting", metadata=EN)
    tracker = Tracker(
        sender_id="c", slots={}, latest_message={"text": "/passport", "metadata": {}},
        events=[*earlier.events, {"event": "user", "text": "/passport", "metadata": {}}],
        paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )
    assert conversation_language(tracker) == "en"


async def test_greeting_in_english_and_in_danish(dispatcher: CollectingDispatcher) -> None:
    await ActionConverse().run(dispatcher, make_tracker(intent="greeting", metadata=EN), {})
    danish = CollectingDispatcher()
    await ActionConverse().run(danish, make_tracker(intent="greeting", metadata={"language": "pl"}), {})

    assert texts(dispatcher)[0].startswith("Hello! I am Muni, Aarhus Kommune's digital assistant.")
    assert texts(danish)[0].startswith("Hej! Jeg er Muni")


async def test_guide_answer_in_english(dispatcher: CollectingDispatcher) -> None:
    await ActionAnswerGuide().run(dispatcher, make_tracker(intent="passport", metadata=EN), {})

    assert texts(dispatcher)[0].startswith("You order a passport at Borgerservice (the municipality's citizen service)")
    assert "Book a time at Borgerservice" in [link["title"] for link in meta(dispatcher)["links"]]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("passport", "guide")


async def test_handoff_in_english_while_closed(dispatcher: CollectingDispatcher) -> None:
    await ActionHandoff(clock=lambda: CLOSED_NOW).run(dispatcher, make_tracker(intent="human_agent", metadata=EN), {})
    said = "\n".join(texts(dispatcher))

    assert "The contact centre is closed now. We open again tomorrow at 16:00." in said
    assert "Opening hours: Monday–Thursday 8:00–20:00" in said
    assert "You can also contact Aarhus Kommune directly: Borgerservice (citizen service) in Aarhus Kommune" in said
    assert "(opening hours in Danish: mandag–torsdag 10–15, fredag 10–13)" in said
    assert meta(dispatcher)["links"][0]["title"] == "Contact Aarhus Kommune"
    assert "lukket" not in said


async def test_handoff_in_english_while_open(dispatcher: CollectingDispatcher) -> None:
    await ActionHandoff(clock=lambda: OPEN_NOW).run(dispatcher, make_tracker(intent="human_agent", metadata=EN), {})

    assert "The contact centre is open now (until 20:00)." in texts(dispatcher)[0]


async def test_emergency_in_english_keeps_the_numbers(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="emergency", municipality="furesoe", metadata=EN)
    await ActionEmergency().run(dispatcher, tracker, {})
    said = texts(dispatcher)[0]

    assert said.startswith("If someone's life is in danger, call 112 now.")
    assert "Akuttelefonen (the medical helpline) on 1813" in said and "70 201 201" in said


async def test_did_you_mean_in_english_with_english_titles(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        intent="nlu_fallback", metadata=EN,
        ranking=[("nlu_fallback", 0.45), ("passport", 0.4), ("driving_licence", 0.2)],
    )
    await ActionClarify(clock=lambda: OPEN_NOW).run(dispatcher, tracker, {})

    assert dispatcher.messages[0]["text"].startswith("I am not quite sure what you mean.")
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Passport", "Driving licence", "Talk to a person"]


async def test_booking_times_in_english_keep_danish_answers(dispatcher: CollectingDispatcher) -> None:
    offered = [encode_slot(s) for s in tuesday_slots()[:2]]
    tracker = make_tracker(
        intent="appointment_booking", metadata=EN, slots={"booking_service": "passport", "booking_offered": offered}
    )
    await ActionAskBookingSlot().run(dispatcher, tracker, {})
    message = dispatcher.messages[0]

    assert message["text"].startswith("Here are free times for passport at Borgerservice.")
    assert [b["title"] for b in message["buttons"]] == ["Tuesday 24/11 at 10:00", "Tuesday 24/11 at 10:20", "Another day"]
    assert "tirsdag 24/11 kl. 10.00" in message["buttons"][0]["payload"]
    assert "anden dag" in message["buttons"][-1]["payload"]


async def test_booking_confirmation_in_english(monkeypatch: pytest.MonkeyPatch, dispatcher: CollectingDispatcher) -> None:
    monkeypatch.setenv("MUNI_SECRET_KEY", SECRET)
    desk = FakeDesk()
    tracker = make_tracker(intent="appointment_booking", metadata=EN, slots={
        "booking_mode": "new", "booking_hold": "H-1020", "booking_name": "Anna Jensen",
        "booking_contact": ContactSealer(SECRET).seal("anna@example.dk"), "booking_service": "passport"})
    await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    summary = texts(dispatcher)[0]

    assert summary.startswith("Your appointment is booked.\nPassport: Tuesday 24/11 at 10:20")
    assert "Bring your old passport" in summary and "The confirmation is sent to you by e-mail." in summary
    assert texts(dispatcher)[1].startswith("Please note: this is a test system (sandbox)")
