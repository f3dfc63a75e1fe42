"""The whole stack as real processes: Rasa 3.6 (Python 3.10), the rasa-sdk action
server (Python 3.11) and the gateway, talked to through the chat API only."""
from __future__ import annotations

import signal
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bench.chatclient import ChatClient
from conversation.rasa import home
from knowledge import ContactCentre
from ops.supervisor import Stack, rasa_name
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Two Rasa processes, as make run starts them.
    with running_stack(tmp_path_factory.mktemp("var"), rasa_processes=2) as running:
        yield running


@pytest.fixture
async def chat(stack: Stack) -> AsyncIterator[ChatClient]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield ChatClient(session, stack.config.gateway_url)


async def test_the_stack_reports_ready(chat: ChatClient) -> None:
    async with chat.session.get(f"{chat.base_url}/readyz") as response:
        assert response.status == 200, await response.text()


async def test_two_municipalities_get_their_own_local_answer(chat: ChatClient) -> None:
    aarhus = await chat.say(await chat.start("aarhus"), "hvad koster et pasfoto hos jer")
    viborg = await chat.say(await chat.start("viborg"), "hvad koster et pasfoto hos jer")
    for turn in (aarhus, viborg):
        assert turn.status == 200
        assert (turn.topic, turn.source, turn.body["handoff"]) == ("passport", "guide", False)
    aarhus_text, viborg_text = aarhus.body["messages"][0]["text"], viborg.body["messages"][0]["text"]
    assert "Aarhus Kommune" in aarhus_text and "Viborg Kommune" in viborg_text
    assert aarhus_text.replace("Aarhus", "X") != viborg_text.replace("Viborg", "X"), "a local value differs"
    assert aarhus.body["messages"][0]["links"], "links to read more or book come along"


async def test_a_conversation_opens_on_a_topic(chat: ChatClient) -> None:
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations",
        json={"municipality": "horsens", "channel": "qr", "topic": "waste_collection"},
    ) as response:
        assert response.status == 201
        body = await response.json()
    assert "affald" in body["messages"][0]["text"].lower()


async def test_emergency_interrupts_and_a_human_is_offered(chat: ChatClient) -> None:
    conversation = await chat.start("furesoe")
    first = await chat.say(conversation, "hvordan søger jeg om boligstøtte")
    assert first.topic == "housing_benefit"
    emergency = await chat.say(conversation, "min mand er faldet om og trækker ikke vejret")
    assert (emergency.topic, emergency.source) == ("emergency", "safety")
    assert "112" in emergency.body["messages"][0]["text"]
    person = await chat.say(conversation, "jeg vil gerne tale med en medarbejder")
    assert (person.topic, person.source, person.body["handoff"]) == ("human_agent", "handoff", True)


async def test_two_failed_turns_lead_to_the_contact_centre(chat: ChatClient) -> None:
    conversation = await chat.start("aarhus")
    first = await chat.say(conversation, "hvem vinder melodi grand prix i år")
    assert (first.topic, first.source, first.body["handoff"]) == (None, "fallback", False)
    second = await chat.say(conversation, "kan du anbefale en god film")
    assert (second.topic, second.body["handoff"]) == (None, True)


async def test_personal_data_never_reaches_rasa_or_the_log(chat: ChatClient, stack: Stack) -> None:
    conversation = await chat.start("aarhus")
    turn = await chat.say(conversation, "mit cpr er 010190-1235 og mit nummer 21 34 56 78, hvad koster pas")
    assert turn.status == 200
    for database in ("muni.db", "rasa_tracker.db"):
        dump = _sqlite_dump(stack.config.var_dir / database)
        assert "010190" not in dump and "21 34 56 78" not in dump, database
    assert "[CPR]" in _sqlite_dump(stack.config.var_dir / "muni.db")


async def test_an_ambiguous_message_asks_did_you_mean_with_topic_buttons(chat: ChatClient) -> None:
    conversation = await chat.start("odder")
    turn = await chat.say(conversation, "tilskud")
    assert (turn.topic, turn.source, turn.body["handoff"]) == (None, "fallback", False)
    payloads = [button["payload"] for button in turn.body["messages"][0]["buttons"]]
    assert {"/child_benefit", "/housing_benefit"} <= set(payloads)
    assert payloads[-1] == "/human_agent"
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
        json={"payload": "/housing_benefit"},
        headers={"Authorization": f"Bearer {conversation[1]}"},
    ) as response:
        body = await response.json()
    assert (body["topic"], body["source"]) == ("housing_benefit", "guide")


async def test_restart_starts_over_with_a_greeting_and_made_up_payloads_are_refused(chat: ChatClient) -> None:
    conversation = await chat.start("aarhus")
    assert (await chat.say(conversation, "hvad koster et pas")).status == 200

    async def click(payload: str) -> tuple[int, dict[str, object]]:
        async with chat.session.post(
            f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
            json={"payload": payload},
            headers={"Authorization": f"Bearer {conversation[1]}"},
        ) as response:
            return response.status, await response.json()

    status, body = await click("/restart")
    assert status == 200, body
    assert "Hej" in str(body["messages"]) and "teknisk fejl" not in str(body["messages"])
    status, body = await click('/book_appointment{"service": "pas"}')
    assert (status, body["error"]["code"]) == (400, "payload_not_offered")  # type: ignore[index]


async def test_a_conversation_goes_on_with_its_context_on_the_other_rasa_while_its_own_is_down(
    chat: ChatClient, stack: Stack
) -> None:
    """Kills the conversation's own Rasa of the two; the supervisor restarts it."""
    conversation = await chat.start("aarhus")
    first = await chat.say(conversation, "hvem vinder melodi grand prix i år")
    assert (first.source, first.body["handoff"]) == ("fallback", False)
    own = stack.processes[rasa_name(home(conversation[0], len(stack.config.rasa_ports)))]
    own.send_signal(signal.SIGKILL)
    own.wait(timeout=10)
    second = await chat.say(conversation, "kan du anbefale en god film")
    assert second.status == 200, second.body
    assert (second.topic, second.body["handoff"]) == (None, True), "the other Rasa knew of the first failed turn"
    other = await chat.say(await chat.start("viborg"), "hvad koster et pasfoto hos jer")
    assert (other.status, other.topic) == (200, "passport")
    async with chat.session.get(f"{chat.base_url}/readyz") as response:
        assert response.status == 200
        assert (await response.json())["checks"]["rasa"].startswith("ok, but ")


async def test_a_dead_rasa_gets_the_citizen_a_503_with_the_contact_centre_and_loses_nothing(
    chat: ChatClient, stack: Stack
) -> None:
    """Runs last in this module: it stops both Rasa processes."""
    conversation = await chat.start("viborg")
    for name in (rasa_name(index) for index in range(len(stack.config.rasa_ports))):
        stack.processes[name].send_signal(signal.SIGKILL)
        stack.processes[name].wait(timeout=10)
    turn = await chat.say(conversation, "hvornår har genbrugspladsen åbent")
    assert turn.status == 503
    assert turn.body["error"]["code"] == "assistant_unavailable"
    assert ContactCentre.load().phone in turn.body["error"]["message"]
    assert "hvornår har genbrugspladsen åbent" in _sqlite_dump(stack.config.var_dir / "muni.db")
    async with chat.session.get(f"{chat.base_url}/readyz") as response:
        assert response.status == 503
        assert (await response.json())["checks"]["rasa"] != "ok"


def _sqlite_dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())

