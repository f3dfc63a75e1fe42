"""Chat while a crisis is on: the first answer starts with it, crisis questions get the akutguide without Rasa,
an emergency still gets 112 first, and a Rasa that is down gets an honest "we are busy" instead of a 503."""

from __future__ import annotations

import argparse
import io
from datetime import timedelta
from pathlib import Path

import pytest

from admin.crisis_cli import crisis_off, crisis_on
from crisis.answers import BUSY
from tests.admin.support import MovableClock
from tests.web.support import Client, FakeRasa, say, start

KNOWN = frozenset({"aarhus", "skive", "viborg"})
MESSAGE = "Drikkevandet i Aarhus C er forurenet. Kog vandet før du drikker det."


async def turn_on(database_path: Path, clock: MovableClock, **changes: str) -> None:
    args = argparse.Namespace(
        municipality="aarhus", all=False, title="Forurenet drikkevand", message=MESSAGE, message_en=None,
        link="https://aarhus.dk/krise", phone="89 40 20 00", expires="12h",
    )  # fmt: skip
    for name, value in changes.items():
        setattr(args, name, value)
    assert await crisis_on(args, f"sqlite+aiosqlite:///{database_path}", io.StringIO(), clock, known=lambda: KNOWN) == 0
    clock.advance(timedelta(seconds=10))  # past the board's cache


async def test_the_first_answer_starts_with_the_crisis_and_off_removes_it(
    console: Client, database_path: Path, clock: MovableClock
) -> None:
    await turn_on(database_path, clock)
    opened = await start(console)
    first = opened["messages"][0]
    assert first["text"].startswith("Vigtigt: Forurenet drikkevand") and MESSAGE in first["text"]
    assert first["links"] == [{"title": "Læs mere på kommunens kriseside", "url": "https://aarhus.dk/krise"}]
    assert len(opened["messages"]) > 1  # the bot's own greeting follows
    assert MESSAGE not in (await start(console, municipality="skive"))["messages"][0]["text"]
    await crisis_off(
        argparse.Namespace(municipality="aarhus", all=False),
        f"sqlite+aiosqlite:///{database_path}",
        io.StringIO(),
        clock,
        known=lambda: KNOWN,
    )
    clock.advance(timedelta(seconds=10))
    assert MESSAGE not in (await start(console))["messages"][0]["text"]


@pytest.mark.parametrize("question", ["er vandet forurenet?", "hvor kan jeg få sandsække?", "what is happening"])
async def test_crisis_questions_get_the_akutguide_without_rasa(
    console: Client, database_path: Path, clock: MovableClock, rasa: FakeRasa, question: str
) -> None:
    await turn_on(database_path, clock)
    conversation = await start(console)
    asked = len(rasa.received)
    response = await say(console, conversation, text=question)
    assert response.status == 200
    body = await response.json()
    assert body["topic"] == "emergency" and body["source"] == "guide"
    text = body["messages"][0]["text"]
    assert "89 40 20 00" in text and "https://aarhus.dk/krise" in text and "112" in text
    assert len(rasa.received) == asked


async def test_an_emergency_still_gets_112_first(console: Client, database_path: Path, clock: MovableClock) -> None:
    await turn_on(database_path, clock)
    conversation = await start(console)
    body = await (await say(console, conversation, text="min mand er faldet om og trækker ikke vejret")).json()
    assert body["source"] == "safety" and "112" in body["messages"][0]["text"]


async def test_when_rasa_is_down_the_crisis_answers_honestly_instead_of_503(
    console: Client, database_path: Path, clock: MovableClock, rasa: FakeRasa
) -> None:
    await turn_on(database_path, clock)
    rasa.webhook_status = 500
    opened = await start(console)
    texts = [message["text"] for message in opened["messages"]]
    assert texts[0].startswith("Vigtigt: Forurenet drikkevand") and texts[1] == BUSY
    response = await say(console, opened, text="hvornår har borgerservice åbent?")
    assert response.status == 200
    body = await response.json()
    assert body["messages"][0]["text"] == BUSY and MESSAGE in body["messages"][1]["text"]


async def test_without_a_crisis_rasa_down_is_still_503(console: Client, rasa: FakeRasa) -> None:
    conversation = await start(console)
    rasa.webhook_status = 500
    assert (await say(console, conversation, text="er vandet forurenet?")).status == 503


async def test_html_in_the_message_is_text(console: Client, database_path: Path, clock: MovableClock) -> None:
    await turn_on(database_path, clock, message="<script>alert(1)</script> Kog vandet")
    opened = await start(console)
    assert "<script>alert(1)</script> Kog vandet" in opened["messages"][0]["text"]
