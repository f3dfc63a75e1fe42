"""Rate limits in Redis: the same token bucket as in-process, shared by every gateway replica, failing open."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from gateway.settings import GatewaySettings
from gateway.shared import shared_state
from muni.shared_state import connect
from tests.support.redis import TestRedis
from tests.web.support import ClientFactory
from web.limits import RedisRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_full_bucket_allows_capacity_then_refuses(test_redis: TestRedis) -> None:
    limiter = RedisRateLimiter(test_redis.client, test_redis.prefix, 3, 60.0, clock=Clock())
    assert [await limiter.acquire("c1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.acquire("c2"), "each key has its own bucket"


async def test_tokens_refill_with_time_up_to_capacity(test_redis: TestRedis) -> None:
    clock = Clock()
    limiter = RedisRateLimiter(test_redis.client, test_redis.prefix, 2, 60.0, clock=clock)
    assert await limiter.acquire("c") and await limiter.acquire("c")
    assert not await limiter.acquire("c")
    clock.now += 29.0  # 0.97 of a token
    assert not await limiter.acquire("c")
    clock.now += 1.5
    assert await limiter.acquire("c")
    clock.now += 3600.0
    assert [await limiter.acquire("c") for _ in range(3)] == [True, True, False]


async def test_a_bucket_expires_once_it_would_be_full_again(test_redis: TestRedis) -> None:
    limiter = RedisRateLimiter(test_redis.client, test_redis.prefix, 5, 60.0, clock=Clock())
    await limiter.acquire("c")
    ttl_ms = await test_redis.client.pttl(test_redis.prefix + "c")
    assert 0 < ttl_ms <= 60_000


async def test_two_limiters_on_one_redis_share_the_bucket(test_redis: TestRedis) -> None:
    clock = Clock()
    one = RedisRateLimiter(test_redis.client, test_redis.prefix, 2, 60.0, clock=clock)
    second_client = connect(test_redis.url)
    other = RedisRateLimiter(second_client, test_redis.prefix, 2, 60.0, clock=clock)
    try:
        assert await one.acquire("ip")
        assert await other.acquire("ip")
        assert not await one.acquire("ip")
        assert not await other.acquire("ip")
    finally:
        await second_client.aclose()


async def test_without_redis_the_request_is_let_through_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter(connect("redis://127.0.0.1:1/0"), "muni-test-down:", 1, 60.0)
    with caplog.at_level(logging.WARNING, logger="web.limits"):
        assert [await limiter.acquire("c") for _ in range(3)] == [True, True, True]
    assert "let through" in caplog.text


async def test_two_gateways_on_one_redis_share_the_new_conversation_limit(
    make_client: ClientFactory, settings: GatewaySettings, test_redis: TestRedis
) -> None:
    """Two replicas behind a load balancer: the client's third new conversation is refused by either."""
    two_a_minute = replace(settings, conversations_per_minute=2)
    replicas = [
        await make_client(settings=two_a_minute, shared=shared_state(test_redis.url, test_redis.prefix, 5.0))
        for _ in range(2)
    ]
    body = {"municipality": "aarhus", "channel": "web"}
    statuses = [(await replicas[i % 2].post("/api/v1/conversations", json=body)).status for i in range(3)]
    assert statuses == [201, 201, 429]
    assert [key for key in await test_redis.keys() if b"rate:conversations:" in key]


async def test_two_gateways_on_one_redis_share_the_message_limit(
    make_client: ClientFactory, settings: GatewaySettings, test_redis: TestRedis
) -> None:
    two_a_minute = replace(settings, messages_per_minute=2)
    replicas = [
        await make_client(settings=two_a_minute, shared=shared_state(test_redis.url, test_redis.prefix, 5.0))
        for _ in range(2)
    ]
    started = await (await replicas[0].post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})).json()
    path = f"/api/v1/conversations/{started['conversation_id']}/messages"
    headers = {"Authorization": f"Bearer {started['token']}"}
    statuses = [(await replicas[i % 2].post(path, json={"text": "Hej"}, headers=headers)).status for i in range(3)]
    assert statuses == [200, 200, 429]


async def test_a_gateway_whose_redis_is_down_still_answers(
    make_client: ClientFactory, settings: GatewaySettings
) -> None:
    client = await make_client(shared=shared_state("redis://127.0.0.1:1/0", "muni-test-down:", 5.0))
    started = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})
    assert started.status == 201
    body = await started.json()
    reply = await client.post(
        f"/api/v1/conversations/{body['conversation_id']}/messages",
        json={"text": "Hej"},
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert reply.status == 200
