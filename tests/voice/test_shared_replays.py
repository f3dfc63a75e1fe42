"""With MUNI_REDIS_URL a Twilio webhook replayed to another gateway replica is still answered once."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from aiohttp import web

from gateway.shared import shared_state
from muni.shared_state import connect
from sms.sender import OutboxSmsSender
from tests.support.redis import TestRedis
from tests.voice.conftest import VoiceClientFactory
from tests.voice.support import call_record, drain, twilio_post, twiml
from voice.replay import Answered, RedisReplayMemory, ReplayGuard

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


async def test_a_replay_sent_to_the_other_replica_sends_no_second_sms(
    make_voice_client: VoiceClientFactory, outbox: OutboxSmsSender, test_redis: TestRedis
) -> None:
    one, other = [
        await make_voice_client(shared=shared_state(test_redis.url, test_redis.prefix, 5.0)) for _ in range(2)
    ]
    await twilio_post(one, "/voice/incoming")
    await twilio_post(other, "/voice/menu", {"Digits": "1"})
    await twilio_post(one, "/voice/assistant", {"SpeechResult": "hvad koster et pas"})
    await twilio_post(other, "/voice/assistant", {"Digits": "8"})

    responses = await asyncio.gather(
        *(twilio_post(replica, "/voice/sms-consent", {"Digits": "1"}) for replica in (one, other, one, other))
    )
    bodies = [await response.text() for response in responses]
    for response in responses:
        await twiml(response)
    await drain(one)
    await drain(other)

    assert len(set(bodies)) == 1 and "Du får en SMS om et øjeblik." in bodies[0]
    assert len(await outbox.messages()) == 1
    record = await call_record(one)
    assert record is not None and record.choices.count("sms_consent_yes") == 1
    assert [key for key in await test_redis.keys() if b":replay:" in key]


async def test_the_answer_round_trips_through_redis(test_redis: TestRedis) -> None:
    memory = RedisReplayMemory(test_redis.client, test_redis.prefix)
    answered = Answered(NOW, "call moved", 200, b"<Response/>\xc3\xa6", "text/xml", "utf-8")
    await memory.remember("k", answered)
    assert await memory.recall("k") == answered
    assert await memory.recall("unknown") is None


async def test_without_redis_every_request_is_handled_and_answered(caplog: pytest.LogCaptureFixture) -> None:
    client = connect("redis://127.0.0.1:1/0")
    guard = ReplayGuard(RedisReplayMemory(client, "muni-test-down:"))
    handled = 0

    async def handle() -> web.StreamResponse:
        nonlocal handled
        handled += 1
        return web.Response(text="<Response/>", content_type="text/xml")

    async def state() -> str:
        return "s"

    with caplog.at_level(logging.WARNING, logger="voice.replay"):
        for _ in range(2):
            response = await guard.answer("https://x/voice/menu", "sig", NOW, state, handle)
            assert response.status == 200
    await client.aclose()
    assert handled == 2, "no memory: each request is handled (never an error instead)"
    assert "handled as new" in caplog.text
