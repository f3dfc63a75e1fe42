"""The in-process token bucket behind the RateLimiter interface."""

from __future__ import annotations

from web.limits import TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_full_bucket_allows_capacity_then_refuses() -> None:
    limiter = TokenBucketLimiter(3, 60.0, clock=Clock())
    assert [await limiter.acquire("c1") for _ in range(4)] == [True, True, True, False]


async def test_keys_have_their_own_buckets() -> None:
    limiter = TokenBucketLimiter(1, 60.0, clock=Clock())
    assert await limiter.acquire("a")
    assert not await limiter.acquire("a")
    assert await limiter.acquire("b")


async def test_tokens_refill_with_time_up_to_capacity() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(2, 60.0, clock=clock)
    assert await limiter.acquire("c") and await limiter.acquire("c")
    assert not await limiter.acquire("c")
    clock.now += 29.0  # 0.97 of a token
    assert not await limiter.acquire("c")
    clock.now += 1.5
    assert await limiter.acquire("c")
    clock.now += 3600.0  # long quiet: back to capacity, not beyond
    assert [await limiter.acquire("c") for _ in range(3)] == [True, True, False]


async def test_memory_is_bounded_by_forgetting_the_least_recently_used() -> None:
    limiter = TokenBucketLimiter(1, 60.0, clock=Clock(), max_keys=2)
    assert await limiter.acquire("old")
    assert await limiter.acquire("busy")
    assert not await limiter.acquire("busy")
    assert await limiter.acquire("new")  # evicts "old", the least recently used
    assert not await limiter.acquire("busy"), "a recently used, empty bucket is kept"
    assert await limiter.acquire("old"), "a forgotten key starts with a full bucket"
