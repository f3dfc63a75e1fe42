"""Faults against the real stack, in the reduced form `make test` runs (the full run: `make test-faults`).

The action server is killed while the booking API holds the answer to a booking it has made; the
booking API fails, throttles and answers garbage; one turn's request id is followed through the
gateway's and the action server's JSON log lines, with no personal data in any line; the action
server's index (a Qdrant server) is unreachable and the citizen still gets the guide.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from bench.chatclient import ChatClient, Turn
from bench.faultproxy import Fault, HttpFaultProxy, http_fault_proxy
from bench.faults import Harness, actions_restarted_with
from ops.supervisor import Stack
from tests.support.ports import free_port
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]

CPR = "010190-1234"
RECOVERY_S = 90  # the action server restarts and loads its model again on two busy cores


@pytest.fixture(scope="module")
def sandbox_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def proxy(sandbox_port: int) -> Iterator[HttpFaultProxy]:
    with http_fault_proxy(f"http://127.0.0.1:{sandbox_port}") as running:
        yield running


@pytest.fixture(scope="module")
def stack_log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, proxy: HttpFaultProxy, sandbox_port: int, stack_log: io.StringIO
) -> Iterator[Stack]:
    env = {
        "MUNI_BOOKING_SANDBOX_URL": proxy.url,  # the action server books through the fault proxy
        "MUNI_BOOKING_RECOVERY_S": str(RECOVERY_S),
        "MUNI_LOG_FORMAT": "json",
        "MUNI_MESSAGES_PER_MINUTE": "1000",
    }
    var = tmp_path_factory.mktemp("var")
    with running_stack(var, env, booking_sandbox_port=sandbox_port, log=stack_log) as running:
        healing = threading.Thread(target=running.supervise, name="supervise", daemon=True)
        healing.start()
        yield running
    healing.join(timeout=30)


@pytest.fixture
async def chat(stack: Stack, proxy: HttpFaultProxy) -> AsyncIterator[ChatClient]:
    proxy.fault = Fault()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=RECOVERY_S + 30)) as session:
        yield ChatClient(session, stack.config.gateway_url)
    proxy.fault = Fault()


def said(turn: Turn) -> str:
    if turn.status != 200:
        return str(turn.body.get("error", {}).get("message", turn.body))
    return "\n".join(message["text"] for message in turn.body["messages"])


async def click(chat: ChatClient, conversation: tuple[str, str], payload: str) -> Turn:
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
        json={"payload": payload},
        headers={"Authorization": f"Bearer {conversation[1]}"},
    ) as response:
        return Turn(response.status, await response.json(), 0.0)


async def up_to_the_contact(chat: ChatClient) -> tuple[str, str]:
    """A booking dialogue up to the last answer (the contact), which makes the booking."""
    conversation = await chat.start("aarhus")
    offer = await chat.say(conversation, "Jeg vil gerne bestille tid til pas i næste uge om formiddagen")
    times = [b for m in offer.body["messages"] for b in m.get("buttons", []) if " kl. " in b["title"]]
    assert times, said(offer)
    await click(chat, conversation, times[0]["payload"])
    await chat.say(conversation, "Anna Jensen")
    return conversation


async def logged(stack_log: io.StringIO, text: str, within_s: float = 15.0) -> bool:
    """Whether the line reaches the log in time: the supervisor's threads copy the children's output."""
    deadline = asyncio.get_running_loop().time() + within_s
    while text not in stack_log.getvalue():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def bookings_for(stack: Stack, contact: str) -> list[Any]:
    with sqlite3.connect(stack.config.var_dir / "booking_sandbox.db") as db:
        return db.execute("SELECT reference FROM bookings WHERE contact = ?", (contact,)).fetchall()


async def test_the_action_server_killed_mid_booking_books_once_and_says_so(
    chat: ChatClient, stack: Stack, proxy: HttpFaultProxy, stack_log: io.StringIO
) -> None:
    email = f"kill-{uuid.uuid4().hex[:8]}@example.dk"
    conversation = await up_to_the_contact(chat)
    proxy.booked.clear()
    proxy.release.clear()
    proxy.fault = Fault("hold_booking")
    turn = asyncio.create_task(chat.say(conversation, email))
    assert await asyncio.to_thread(proxy.booked.wait, 60), "the booking reached the booking API"
    # Its whole process group (the supervisor starts each part in its own): nothing of it answers after.
    os.killpg(stack.processes["actions"].pid, signal.SIGKILL)
    proxy.fault = Fault()
    proxy.release.set()
    answer = await turn
    [(reference,)] = bookings_for(stack, email)  # booked exactly once
    assert answer.status == 200, said(answer)
    assert reference in said(answer) and "teknisk fejl" not in said(answer)
    assert (answer.topic, answer.source) == ("appointment_booking", "booking")
    assert await logged(stack_log, f"Conversation {conversation[0]}: a booking's outcome was lost"), "the recovery answered"


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("status", status=500), "Jeg kan desværre ikke komme i kontakt med bookingsystemet"),
        (Fault("status", status=429, headers={"Retry-After": "30"}), "Jeg kan desværre ikke komme i kontakt"),
        (Fault("garbage"), "Jeg kan desværre ikke komme i kontakt med bookingsystemet"),
    ],
    ids=["500", "429", "garbage"],
)
async def test_a_failing_booking_api_gives_the_booking_page_and_phone(
    chat: ChatClient, proxy: HttpFaultProxy, fault: Fault, expected: str
) -> None:
    conversation = await chat.start("aarhus")
    proxy.fault = fault
    turn = await chat.say(conversation, "Jeg vil gerne bestille tid til pas i næste uge om formiddagen")
    assert turn.status == 200 and expected in said(turn), said(turn)
    assert turn.source == "fallback"
    proxy.fault = Fault()
    again = await chat.say(await chat.start("aarhus"), "Jeg vil gerne bestille tid til pas i næste uge om formiddagen")
    assert again.status == 200 and " kl. " in json.dumps(again.body, ensure_ascii=False), "healed at once"


async def test_one_turns_request_id_is_in_the_gateways_and_the_action_servers_json_lines(
    chat: ChatClient, stack_log: io.StringIO
) -> None:
    conversation = await chat.start("aarhus")
    request_id = f"e2e-{uuid.uuid4().hex}"
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
        json={"text": f"hvad koster et pas? mit cpr er {CPR} og mit nummer 20 30 40 50"},
        headers={"Authorization": f"Bearer {conversation[1]}", "X-Request-ID": request_id},
    ) as response:
        assert response.status == 200 and response.headers["X-Request-ID"] == request_id
    await asyncio.sleep(1.0)  # the children's lines reach the log through the supervisor's copying threads
    lines = stack_log.getvalue().splitlines()
    tagged: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        name, _, text = line.partition(" | ")
        if text.startswith("{"):
            record = json.loads(text)
            if record.get("request_id") == request_id:
                tagged.setdefault(name.strip(), []).append(record)
    assert {"gateway", "actions"} <= tagged.keys(), sorted(tagged)
    assert all(record["process"] == name for name, records in tagged.items() for record in records)
    for secret in (CPR, "0101901234", "20 30 40 50", "20304050"):
        assert secret not in stack_log.getvalue()


async def test_with_the_index_unreachable_the_citizen_still_gets_the_guide_and_nothing_prints_a_traceback(
    chat: ChatClient, stack: Stack, proxy: HttpFaultProxy, stack_log: io.StringIO
) -> None:
    h = Harness(stack, chat, proxy, None, None)
    since = len(stack_log.getvalue())
    # The action server again, its index a Qdrant server nobody answers for (its SIGTERM is in the log too).
    await actions_restarted_with(h, {"MUNI_QDRANT_URL": f"http://127.0.0.1:{free_port()}", "MUNI_QDRANT_TIMEOUT": "2"})
    try:
        turn = await chat.say(await chat.start("aarhus"), "hvad koster et pas")
        async with chat.session.get(f"{chat.base_url}/readyz") as response:
            ready = response.status
    finally:
        await actions_restarted_with(h, {})
    assert turn.status == 200 and turn.topic == "passport", said(turn)
    assert "Pas" in said(turn) and "teknisk fejl" not in said(turn)
    assert ready == 503, "/readyz says the index is down"
    actions = [line for line in stack_log.getvalue()[since:].splitlines() if line.lstrip().startswith("actions |")]
    assert any("knowledge index unavailable" in line for line in actions), "\n".join(actions)
    assert not [line for line in actions if "Traceback" in line or "Task was destroyed" in line]
