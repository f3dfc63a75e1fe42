"""Booking through the chat API with every process running: Rasa, the action server, the gateway
and the SANDBOX booking server."""
from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.chatclient import ChatClient, Turn
from ops.supervisor import Stack
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]

EMAIL = "anna.jensen@example.dk"
MAX_CITIZEN_TURNS = 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("var")) as running:
        yield running


@pytest.fixture
async def chat(stack: Stack) -> AsyncIterator[ChatClient]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield ChatClient(session, stack.config.gateway_url)


async def click(chat: ChatClient, conversation: tuple[str, str], payload: str) -> Turn:
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
        json={"payload": payload},
        headers={"Authorization": f"Bearer {conversation[1]}"},
    ) as response:
        return Turn(response.status, await response.json(), 0.0)


def said(turn: Turn) -> str:
    return "\n".join(message["text"] for message in turn.body["messages"])


def buttons(turn: Turn) -> list[dict[str, Any]]:
    return [button for message in turn.body["messages"] for button in message.get("buttons", [])]


def dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


async def book(chat: ChatClient, conversation: tuple[str, str]) -> tuple[list[Turn], str]:
    """A typical request: what, when, a time, a name, a contact."""
    turns = [await chat.say(conversation, "Jeg vil gerne bestille tid til pas i næste uge om formiddagen")]
    times = [b for b in buttons(turns[-1]) if " kl. " in b["title"]]
    assert times, said(turns[-1])
    turns.append(await click(chat, conversation, times[0]["payload"]))
    turns.append(await chat.say(conversation, "Anna Jensen"))
    turns.append(await chat.say(conversation, EMAIL))
    reference = next(word for word in said(turns[-1]).split() if word.startswith("SB-"))
    return turns, reference


async def test_a_typical_booking_in_at_most_six_turns(chat: ChatClient, stack: Stack) -> None:
    conversation = await chat.start("aarhus")
    turns, reference = await book(chat, conversation)
    assert len(turns) <= MAX_CITIZEN_TURNS
    for turn in turns:
        assert turn.status == 200 and (turn.topic, turn.source) == ("appointment_booking", "booking"), turn.body
    summary = said(turns[-1])
    assert "Pas" in summary and "Medbring" in summary and "sandkasse" in summary
    var = stack.config.var_dir
    assert EMAIL in dump(var / "booking_sandbox.db"), "the booking system (sandbox) sends the confirmation"
    for database in ("muni.db", "rasa_tracker.db"):
        assert EMAIL not in dump(var / database) and "anna.jensen" not in dump(var / database), database
    assert reference in dump(var / "booking_sandbox.db")


async def test_cancel_with_the_reference(chat: ChatClient) -> None:
    _, reference = await book(chat, await chat.start("aarhus"))
    conversation = await chat.start("aarhus")
    ask = await chat.say(conversation, f"jeg vil gerne aflyse min tid {reference}")
    assert (ask.topic, ask.source) == ("appointment_booking", "booking") and "aflyse" in said(ask)
    yes = next(b for b in buttons(ask) if b["title"].startswith("Ja"))
    done = await click(chat, conversation, yes["payload"])
    assert "aflyst" in said(done) and reference in said(done)


async def test_move_with_the_reference(chat: ChatClient) -> None:
    _, reference = await book(chat, await chat.start("aarhus"))
    conversation = await chat.start("aarhus")
    first = await chat.say(conversation, "jeg vil gerne flytte min tid")
    assert "bookingnummer" in said(first)
    when = await chat.say(conversation, reference)
    assert "Hvornår" in said(when), said(when)
    offers = await chat.say(conversation, "om eftermiddagen")
    times = [b for b in buttons(offers) if " kl. " in b["title"]]
    assert times, said(offers)
    moved = await click(chat, conversation, times[0]["payload"])
    assert "flyttet" in said(moved) and reference in said(moved)


async def test_the_citizen_can_leave_and_an_emergency_is_answered_at_once(chat: ChatClient) -> None:
    conversation = await chat.start("viborg")
    first = await chat.say(conversation, "bestil tid")
    assert (first.topic, first.source) == ("appointment_booking", "booking")
    emergency = await chat.say(conversation, "min mand er faldet om og trækker ikke vejret")
    assert (emergency.topic, emergency.source) == ("emergency", "safety") and "112" in said(emergency)
    again = await chat.say(conversation, "bestil tid til kørekort")
    assert (again.topic, again.source) == ("appointment_booking", "booking")
    gone = await chat.say(conversation, "glem det")
    assert (gone.topic, gone.source) == ("appointment_booking", "booking") and "ikke bestilt" in said(gone)


async def test_an_agent_link_opens_the_booking(chat: ChatClient) -> None:
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations",
        json={"municipality": "horsens", "channel": "sms", "topic": "appointment_booking"},
    ) as response:
        body = await response.json()
    assert response.status == 201 and "Hvad skal du i Borgerservice" in body["messages"][0]["text"]


async def test_without_the_integration_the_booking_page(chat: ChatClient) -> None:
    turn = await chat.say(await chat.start("odder"), "jeg vil gerne bestille tid til pas")
    assert (turn.topic, turn.source) == ("appointment_booking", "guide")
    assert turn.body["messages"][0]["links"]
