"""Rate limits behind a small interface, so a shared (Redis) limiter can replace the local one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> bool:
        """Take one unit for key; False when key is over its limit."""
        ...


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
