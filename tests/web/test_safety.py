"""Safety before understanding in the conversation core: the screen answers before Rasa is asked (issue 17)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence

import pytest
from sqlalchemy.exc import OperationalError

from conversation.log import TurnRecord
from safety.desk import SafetyDesk, Screened, default_desk
from tests.web.support import CONTACT_PHONE, ClientFactory, FakeRasa, conversation_log, say, start


async def test_an_emergency_gets_the_safety_answer_without_rasa_being_asked_to_understand_it(
    make_client: ClientFactory, rasa: FakeRasa
) -> None:
    client = await make_client()
    conversation = await start(client)
    response = await say(client, conversation, text="my child swallowed pills what do I do")
    assert response.status == 200
    body = await response.json()
    assert (body["topic"], body["source"], body["handoff"]) == ("emergency", "safety", False)
    english, danish = (message["text"] for message in body["messages"])
    assert english.startswith("Call the Poison Line (Giftlinjen) on 82 12 12 12")
    assert danish.startswith("Ring til Giftlinjen på 82 12 12 12") and "112" in danish
    # Rasa learns that an emergency was answered, as an intent; it never sees the words.
    assert rasa.messages[-1] == "/emergency"
    assert not any("pills" in message for message in rasa.messages)


async def test_the_screened_turn_is_recorded_redacted_like_any_other(make_client: ClientFactory) -> None:
    client = await make_client()
    conversation = await start(client)
    await say(client, conversation, text="min mand er faldet om og trækker ikke vejret, ring til mig på 21 34 56 78")
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    citizen, *bot = turns[1:]
    assert citizen.role == "citizen" and "21 34 56 78" not in citizen.text and "[TELEFON]" in citizen.text
    assert [(t.role, t.topic, t.source) for t in bot] == [("bot", "emergency", "safety")]
    assert bot[0].text.startswith("Er nogen i livsfare, så ring 112 nu.")
    assert "lægevagten på 70 11 31 31" in bot[0].text  # Aarhus is in Region Midtjylland
    assert bot[0].latency_ms is not None


async def test_the_safety_answer_comes_even_when_rasa_is_down(
    make_client: ClientFactory, rasa: FakeRasa
) -> None:
    client = await make_client()
    conversation = await start(client)
    rasa.webhook_status = 500
    body = await (await say(client, conversation, text="jeg vil ikke leve mere")).json()
    assert (body["source"], body["topic"]) == ("safety", "emergency")
    assert "Livslinien på 70 201 201" in body["messages"][0]["text"]
    assert body["messages"][0]["links"] == [{"title": "Livslinien", "url": "https://www.livslinien.dk"}]


async def test_an_emergency_in_polish_is_answered_in_polish_then_danish_then_where_to_get_help(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    conversation = await start(client)
    body = await (await say(client, conversation, text="moje dziecko połknęło tabletki, co mam robić")).json()
    polish, danish, notice = (message["text"] for message in body["messages"])
    assert polish.startswith("Zadzwoń teraz na linię ds. zatruć (Giftlinjen): 82 12 12 12")
    assert danish.startswith("Ring til Giftlinjen")
    assert "Odpowiadam po duńsku i angielsku" in notice and CONTACT_PHONE in notice
    record = await conversation_log(client).conversation(conversation["conversation_id"])
    assert record is not None and record.language == "pl"


async def test_an_ordinary_question_in_another_language_gets_the_notice_not_a_guess(
    make_client: ClientFactory, rasa: FakeRasa
) -> None:
    client = await make_client()
    conversation = await start(client)
    asked = len(rasa.messages)
    body = await (await say(client, conversation, text="wie viel kostet ein Reisepass für mein Kind")).json()
    assert (body["source"], body["handoff"], body["topic"]) == ("handoff", True, None)
    notice = body["messages"][0]["text"]
    assert notice.startswith("Ich antworte auf Dänisch und Englisch") and CONTACT_PHONE in notice
    assert len(rasa.messages) == asked  # Rasa's Danish NLU is not asked to understand German


@pytest.mark.parametrize(
    "text", ["hvad er nummeret til lægevagten?", "hvornår har lægevagten åbent", "Hvilket parti skal jeg stemme på?"]
)
async def test_questions_about_the_topic_go_to_rasa(make_client: ClientFactory, rasa: FakeRasa, text: str) -> None:
    client = await make_client()
    conversation = await start(client)
    body = await (await say(client, conversation, text=text)).json()
    assert body["source"] == "guide" and rasa.messages[-1] == text


async def test_a_conversation_keeps_its_language_for_short_messages(make_client: ClientFactory, rasa: FakeRasa) -> None:
    client = await make_client()
    conversation = await start(client)
    await say(client, conversation, text="I need a new passport for my daughter")
    await say(client, conversation, text="ok")
    record = await conversation_log(client).conversation(conversation["conversation_id"])
    assert record is not None and record.language == "en"
    await say(client, conversation, text="og hvad koster det så på borgerservice")
    record = await conversation_log(client).conversation(conversation["conversation_id"])
    assert record is not None and record.language == "da"


async def test_the_citizens_turn_is_written_while_the_safety_desk_reads_it(
    make_client: ClientFactory, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both before Rasa is asked: the write of the turn waits for the desk to start reading, and gets it."""
    desk = default_desk()
    reading = threading.Event()

    def screen(text: str, language: str, municipality: str) -> Screened | None:
        reading.set()
        return SafetyDesk.screen(desk, text, language, municipality)

    monkeypatch.setattr(desk, "screen", screen)
    client = await make_client(safety=desk)
    conversation = await start(client)
    log = conversation_log(client)
    add_turns = log.add_turns
    overlapped: list[bool] = []

    async def write(records: Sequence[TurnRecord], offered: Sequence[str] = ()) -> None:
        if records[0].role == "citizen":
            overlapped.append(await asyncio.to_thread(reading.wait, 5.0))
        await add_turns(records, offered)

    monkeypatch.setattr(log, "add_turns", write)
    asked = len(rasa.messages)
    body = await (await say(client, conversation, text="hvad koster et pas")).json()
    assert overlapped == [True]
    assert len(rasa.messages) == asked + 1 and body["messages"]
    turns = await log.turns(conversation["conversation_id"])
    asked_at = max(i for i, turn in enumerate(turns) if turn.role == "citizen")
    assert turns[asked_at].text == "hvad koster et pas"
    assert turns[asked_at + 1 :] and all(turn.role == "bot" for turn in turns[asked_at + 1 :])


async def test_a_turn_that_could_not_be_written_is_not_answered(
    make_client: ClientFactory, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client()
    conversation = await start(client)
    log = conversation_log(client)

    async def broken(records: Sequence[TurnRecord], offered: Sequence[str] = ()) -> None:
        raise OperationalError("INSERT INTO turns", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(log, "add_turns", broken)
    asked = len(rasa.messages)
    response = await say(client, conversation, text="min søn har slugt piller")
    assert response.status == 503
    assert len(rasa.messages) == asked  # neither the words nor /emergency went on
