"""Two turns of one conversation sent at once are answered one after the other, never crossed.

A slow fake Rasa answers each message with "svar på <message>"; without the turn lock both
citizen turns would be recorded before either answer, and the second request could be answered
while Rasa still works on the first.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest

from gateway.settings import GatewaySettings
from gateway.shared import shared_state
from tests.support.redis import TestRedis
from tests.web.support import Client, ClientFactory, FakeRasa, bot_text, conversation_log, muni_meta

SLOW_S = 0.4


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [bot_text(f"svar på {body['message']}"), muni_meta(topic="passport", source="guide")]


@pytest.fixture
def slow_rasa(rasa: FakeRasa) -> FakeRasa:
    rasa.reply = echo
    rasa.delay_s = SLOW_S
    return rasa


@pytest.fixture
def patient(settings: GatewaySettings) -> GatewaySettings:
    """Waits for Rasa long enough for two slow turns in a row."""
    return replace(settings, rasa_timeout_s=5.0)


async def start(client: Client) -> tuple[str, dict[str, str]]:
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})
    body = await response.json()
    return f"/api/v1/conversations/{body['conversation_id']}/messages", {"Authorization": f"Bearer {body['token']}"}


async def send_together(replicas: list[Client], path: str, headers: dict[str, str], texts: list[str]) -> list[str]:
    responses = await asyncio.gather(
        *(replicas[i % len(replicas)].post(path, json={"text": text}, headers=headers) for i, text in enumerate(texts))
    )
    assert [r.status for r in responses] == [200] * len(texts)
    return [(await r.json())["messages"][0]["text"] for r in responses]


async def assert_in_order(client: Client, path: str, texts: list[str], replies: list[str]) -> None:
    assert replies == [f"svar på {text}" for text in texts], "each request gets the answer to its own message"
    conversation_id = path.split("/")[-2]
    recorded = [(t.role, t.text) for t in await conversation_log(client).turns(conversation_id)]
    recorded = recorded[[role for role, _ in recorded].index("citizen") :]  # after the greeting
    assert len(recorded) == 2 * len(texts)
    pairs = [recorded[i : i + 2] for i in range(0, len(recorded), 2)]
    assert all(pair[0][0] == "citizen" and pair[1] == ("bot", f"svar på {pair[0][1]}") for pair in pairs), recorded
    assert sorted(pair[0][1] for pair in pairs) == sorted(texts)


async def test_two_turns_sent_at_once_are_processed_in_order(
    make_client: ClientFactory, slow_rasa: FakeRasa, patient: GatewaySettings
) -> None:
    client = await make_client(settings=patient)
    path, headers = await start(client)
    texts = ["første spørgsmål", "andet spørgsmål"]
    replies = await send_together([client], path, headers, texts)
    await assert_in_order(client, path, texts, replies)
    # Which of the two gets the turn first is a race; Rasa must see them in the order the log records them.
    conversation_id = path.split("/")[-2]
    asked = [t.text for t in await conversation_log(client).turns(conversation_id) if t.role == "citizen"]
    assert slow_rasa.messages[1:] == asked


async def test_other_conversations_do_not_wait(
    make_client: ClientFactory, slow_rasa: FakeRasa, patient: GatewaySettings
) -> None:
    """The lock is per conversation: a turn of another conversation reaches Rasa while the first is held up."""
    client = await make_client(settings=patient)
    (path_a, headers_a), (path_b, headers_b) = await start(client), await start(client)
    slow_rasa.hang = True  # Rasa holds every answer until released
    sent = [
        asyncio.create_task(client.post(path_a, json={"text": "a"}, headers=headers_a)),
        asyncio.create_task(client.post(path_b, json={"text": "b"}, headers=headers_b)),
    ]
    async with asyncio.timeout(4):
        while len(slow_rasa.messages) < 4:  # two greetings, then both questions at once
            await asyncio.sleep(0.02)
    slow_rasa.release()
    assert [(await task).status for task in sent] == [200, 200]
    assert sorted(slow_rasa.messages[2:]) == ["a", "b"]


async def test_two_replicas_on_one_redis_process_one_conversation_in_order(
    make_client: ClientFactory, slow_rasa: FakeRasa, patient: GatewaySettings, test_redis: TestRedis
) -> None:
    replicas = [
        await make_client(settings=patient, shared=shared_state(test_redis.url, test_redis.prefix, 5.0))
        for _ in range(2)
    ]
    path, headers = await start(replicas[0])
    texts = ["første", "andet", "tredje", "fjerde"]
    replies = await send_together(replicas, path, headers, texts)
    await assert_in_order(replicas[0], path, texts, replies)
    assert not [key for key in await test_redis.keys() if b":turn:" in key], "every turn lock was released"


async def test_with_redis_down_a_turn_is_still_answered(
    make_client: ClientFactory, slow_rasa: FakeRasa, patient: GatewaySettings, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(settings=patient, shared=shared_state("redis://127.0.0.1:1/0", "muni-test-down:", 5.0))
    path, headers = await start(client)
    with caplog.at_level(logging.WARNING, logger="conversation.turns"):
        replies = await send_together([client], path, headers, ["et", "to"])
    await assert_in_order(client, path, ["et", "to"], replies)
    assert "serialised in this process only" in caplog.text
