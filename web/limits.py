"""Rate limits behind a small interface: token buckets in this process, or in Redis shared by every replica.

`make run` keeps them in the gateway's memory (`TokenBucketLimiter`); with MUNI_REDIS_URL every
gateway replica counts into the same buckets (`RedisRateLimiter`). A limit is a guard, not a
gate to the service: when Redis fails or stalls, the request is let through (fail open) and the
failure is logged, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from muni.shared_state import Redis, SharedStateError, call

_log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> bool:
        """Take one unit for key; False when key is over its limit."""
        ...


class LimiterFactory(Protocol):
    """Makes the limiter named `name`: `capacity` requests at once, refilled to `capacity` per `period_s`."""

    def __call__(self, name: str, capacity: int, period_s: float) -> RateLimiter: ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """In-process token buckets: `capacity` requests at once, refilled to `capacity` per `period_s`."""

    def __init__(
        self,
        capacity: int,
        period_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if capacity < 1 or period_s <= 0 or max_keys < 1:
            raise ValueError("capacity and max_keys must be at least 1 and period_s positive")
        self._capacity = float(capacity)
        self._rate = capacity / period_s
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, key: str) -> bool:
        now = self._clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=self._capacity, updated=now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._rate)
            bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        # Re-inserting keeps the dict ordered from least to most recently used.
        self._buckets[key] = bucket
        self._evict()
        return allowed

    def _evict(self) -> None:
        # A forgotten bucket is a full bucket, so dropping the least recently used keys only
        # ever forgives a client that has been quiet the longest; it bounds memory under floods.
        while len(self._buckets) > self._max_keys:
            del self._buckets[next(iter(self._buckets))]


def local_limiters(name: str, capacity: int, period_s: float) -> RateLimiter:
    """The embedded default: each limit in this process's memory."""
    return TokenBucketLimiter(capacity, period_s)


# The same token bucket as TokenBucketLimiter, read and written in one step on the Redis server.
# KEYS[1] the bucket; ARGV: capacity, refill per second, now (s, the caller's wall clock), ttl (ms).
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = capacity
  updated = now
end
tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(math.max(now, updated)))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return allowed
"""


class RedisRateLimiter:
    """Token buckets in Redis under `prefix`: every gateway replica counts into the same one.

    A bucket expires once it would be full again, so Redis holds only recently active keys.
    The clock is wall time (replicas share it), injectable for tests.
    """

    def __init__(
        self,
        client: Redis,
        prefix: str,
        capacity: int,
        period_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity < 1 or period_s <= 0:
            raise ValueError("capacity must be at least 1 and period_s positive")
        self._client = client
        self._prefix = prefix
        self._capacity = capacity
        self._rate = capacity / period_s
        self._ttl_ms = max(1, int(period_s * 1000))
        self._clock = clock

    async def acquire(self, key: str) -> bool:
        try:
            allowed = await call(
                "rate limit",
                self._client.eval(_TAKE, 1, self._prefix + key, self._capacity, self._rate, repr(self._clock()), self._ttl_ms),
            )
        except SharedStateError as error:
            _log.warning("rate limit %s not checked, request let through: %s", self._prefix, error)
            return True
        return bool(allowed)


@dataclass(frozen=True)
class RedisLimiters:
    """Makes Redis-backed limiters, each under `{prefix}rate:{name}:`."""

    client: Redis
    prefix: str

    def __call__(self, name: str, capacity: int, period_s: float) -> RateLimiter:
        return RedisRateLimiter(self.client, f"{self.prefix}rate:{name}:", capacity, period_s)
