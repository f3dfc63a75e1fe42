"""Against the real stack: Rasa's HTTP API refuses requests without its token, and a Rasa
killed with SIGKILL is restarted by the supervisor while the gateway keeps answering."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bench.chatclient import ChatClient
from muni.keys import rasa_token
from ops.supervisor import Stack
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]

HEALED_WITHIN_S = 120.0  # Rasa loads its model again: about 30-60 s on two busy cores


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # One conversation asks every second while Rasa is down: above the citizens' rate limit.
    with running_stack(tmp_path_factory.mktemp("var"), {"MUNI_MESSAGES_PER_MINUTE": "1000"}) as running:
        healing = threading.Thread(target=running.supervise, name="supervise", daemon=True)
        healing.start()
        yield running
    healing.join(timeout=30)


@pytest.fixture
async def chat(stack: Stack) -> AsyncIterator[ChatClient]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield ChatClient(session, stack.config.gateway_url)


def rasa_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.config.rasa_port}"


async def test_rasa_refuses_its_http_api_without_the_token(chat: ChatClient, stack: Stack) -> None:
    token = rasa_token(stack.config.extra_env["MUNI_SECRET_KEY"])
    http = chat.session
    async with http.put(f"{rasa_url(stack)}/model", json={"model_file": "/tmp/evil.tar.gz"}) as response:
        assert response.status == 401, await response.text()
    async with http.put(f"{rasa_url(stack)}/model", params={"token": "wrong"}, json={}) as response:
        assert response.status == 401
    async with http.get(f"{rasa_url(stack)}/conversations/x/tracker") as response:
        assert response.status == 401
    async with http.get(f"{rasa_url(stack)}/status") as response:
        assert response.status == 401
    async with http.get(f"{rasa_url(stack)}/status", params={"token": token}) as response:
        assert response.status == 200 and (await response.json())["model_file"]
    # The gateway sends the token where Rasa wants it: ready, and answering through the REST channel.
    async with http.get(f"{chat.base_url}/readyz") as response:
        assert response.status == 200, await response.text()
    turn = await chat.say(await chat.start("aarhus"), "hvad koster et pas")
    assert turn.status == 200 and turn.source == "guide", turn.body


async def test_a_killed_rasa_is_healed_while_the_gateway_answers(chat: ChatClient, stack: Stack) -> None:
    conversation = await chat.start("aarhus")
    killed = stack.processes["rasa"]
    killed.send_signal(signal.SIGKILL)
    started = time.monotonic()
    statuses: list[int] = []
    while time.monotonic() - started < HEALED_WITHIN_S:
        turn = await chat.say(conversation, "hvad koster et pas")  # a refused connection would raise here
        statuses.append(turn.status)
        if turn.status == 503:
            assert turn.body["error"]["code"] == "assistant_unavailable"
        async with chat.session.get(f"{chat.base_url}/readyz") as response:
            if response.status == 200 and turn.status == 200:
                break
        await asyncio.sleep(1.0)
    healed_s = time.monotonic() - started
    print(f"\nRasa killed: healed in {healed_s:.1f} s; the gateway answered {len(statuses)} turns meanwhile: "
          f"{statuses.count(503)} x 503, {statuses.count(200)} x 200")
    assert statuses[-1] == 200, f"not healed within {HEALED_WITHIN_S:.0f} s: {statuses}"
    assert set(statuses) <= {200, 503}
    assert stack.processes["rasa"] is not killed and len(stack.children.children["rasa"].starts) == 2  # type: ignore[union-attr]
