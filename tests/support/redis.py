"""A Redis key prefix of one's own per test, on the server these machines and CI run.

The server is the one at MUNI_TEST_REDIS_URL, by default ``redis://127.0.0.1:6379/0``. Each
test writes only under its own prefix (several engineers' test runs share the server) and
deletes its keys afterwards. Where nothing answers, the tests that need it are skipped with the
error; under CI=true they fail instead (tests/support/services.py). Point the variable at a
closed port to see the skip: ``MUNI_TEST_REDIS_URL=redis://127.0.0.1:1/0``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.exceptions import RedisError

from muni.shared_state import Redis, connect
from tests.support.services import service_missing

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    return os.environ.get("MUNI_TEST_REDIS_URL") or DEFAULT_REDIS_URL


@dataclass(frozen=True)
class TestRedis:
    url: str
    prefix: str
    client: Redis

    __test__ = False

    async def keys(self) -> list[bytes]:
        return [key async for key in self.client.scan_iter(match=self.prefix + "*")]


async def reachable_redis(prefix: str) -> TestRedis:
    """A client on the test server, or skip (fail in CI) when none answers."""
    url = redis_url()
    client = connect(url, timeout_s=2.0)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        service_missing(
            f"no Redis at {url}: {type(error).__name__}: {error} (start one there, or set MUNI_TEST_REDIS_URL)"
        )
    return TestRedis(url, prefix, client)


@pytest.fixture
async def test_redis() -> AsyncIterator[TestRedis]:
    """The test Redis server with a prefix of this test's own; its keys are deleted afterwards."""
    shared = await reachable_redis(f"muni-test-{uuid.uuid4().hex[:12]}:")
    try:
        yield shared
    finally:
        for key in await shared.keys():
            await shared.client.delete(key)
        await shared.client.aclose()
