"""An emergency on the phone: 112 always, the safety answer, and a person at once while the centre is open."""

from __future__ import annotations

from tests.voice.support import (
    AGENTS,
    CALL_SID,
    CLOSED,
    PUBLIC_URL,
    Clock,
    call_record,
    gather,
    spoken,
    twilio_post,
    twiml,
)
from tests.web.support import Client, FakeRasa, conversation_log


async def start_assistant(client: Client) -> None:
    await twiml(await twilio_post(client, "/voice/incoming"))
    await twiml(await twilio_post(client, "/voice/menu", {"Digits": "1"}))


async def test_an_emergency_while_open_says_112_and_puts_the_caller_through_at_once(client: Client, rasa: FakeRasa) -> None:
    await start_assistant(client)
    question = {"SpeechResult": "min mand er faldet om og trækker ikke vejret"}
    root = await twiml(await twilio_post(client, "/voice/assistant", question))

    text = spoken(root)
    assert text.startswith("Er nogen i livsfare, så læg på og ring 112 nu.")
    assert "ring 112 nu" in text and "sætter dig igennem" in text
    number = root.find("Dial/Number")
    assert number is not None and number.text == AGENTS
    assert number.get("url") == f"{PUBLIC_URL}/voice/whisper?topic=emergency&municipality=aarhus&call={CALL_SID}"
    record = await call_record(client)
    assert record is not None and record.transferred and record.last_topic == "emergency"
    # Rasa heard the intent, not the caller's words; the turn is in the log as a safety answer.
    assert rasa.messages[-1] == "/emergency"
    assert record.conversation_id is not None
    turns = await conversation_log(client).turns(record.conversation_id)
    assert turns[-1].source == "safety" and turns[-1].topic == "emergency"


async def test_an_emergency_while_closed_says_112_and_the_answer_then_listens_again(client: Client, clock: Clock) -> None:
    clock.now = CLOSED
    await start_assistant(client)
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "jeg vil ikke leve mere"}))

    assert root.find("Dial") is None and root.find("Enqueue") is None
    text = spoken(gather(root))
    assert text.startswith("Er nogen i livsfare, så læg på og ring 112 nu.")
    assert "Livslinien på 70 201 201" in text
    assert gather(root).get("action") == f"{PUBLIC_URL}/voice/assistant"
    record = await call_record(client)
    assert record is not None and not record.transferred
