"""Politeness per host: robots.txt policies cached with expiry, and a gate spacing and bounding requests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from crawler.fetch import Fetcher, FetchFailed
from crawler.robots import RobotsPolicy, parse_robots
from crawler.settings import ROBOTS_TOKEN, CrawlLimits

log = logging.getLogger(__name__)

FAILED_ROBOTS_TTL_S = 300.0  # an unreadable robots.txt is asked for again after this


class HostGate:
    """At most `concurrency` requests at once to one host, their starts at least `interval` apart."""

    def __init__(self, concurrency: int, clock: Callable[[], float] | None = None) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock or time.monotonic
        self._next_start = 0.0

    @contextlib.asynccontextmanager
    async def turn(self, interval: float) -> AsyncIterator[None]:
        async with self._slots:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + interval  # reserved before sleeping, so waiters queue up in order
            if start > now:
                await asyncio.sleep(start - now)
            yield

    def pause(self, seconds: float) -> None:
        """No new request before `seconds` from now (Retry-After)."""
        self._next_start = max(self._next_start, self._clock() + seconds)


class RobotsCache:
    """robots.txt per origin as RFC 9309 says: 2xx parsed, 4xx allows all, 5xx or unreachable disallows all."""

    def __init__(self, fetcher: Fetcher, limits: CrawlLimits, clock: Callable[[], float] | None = None) -> None:
        self._fetcher = fetcher
        self._limits = limits
        self._clock = clock or time.monotonic
        self._policies: dict[str, tuple[float, RobotsPolicy]] = {}
        self._loading: dict[str, asyncio.Task[RobotsPolicy]] = {}

    async def policy(self, origin: str) -> RobotsPolicy:
        cached = self._policies.get(origin)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        task = self._loading.get(origin)
        if task is None:
            task = asyncio.create_task(self._load(origin))
            self._loading[origin] = task
            task.add_done_callback(lambda _: self._loading.pop(origin, None))
        return await asyncio.shield(task)

    async def _load(self, origin: str) -> RobotsPolicy:
        try:
            result = await self._fetcher.fetch(
                f"{origin}/robots.txt", max_bytes=self._limits.max_robots_bytes, html_only=False
            )
        except FetchFailed as exc:
            policy = RobotsPolicy.disallow_all(f"robots.txt unreachable: {exc.reason}")
        else:
            if 200 <= result.status < 300 and result.body is not None:
                policy = parse_robots(result.body.decode("utf-8", errors="replace"), ROBOTS_TOKEN)
            elif 400 <= result.status < 500:
                policy = RobotsPolicy.allow_all()
            else:
                policy = RobotsPolicy.disallow_all(f"robots.txt answered {result.status}")
        ttl = FAILED_ROBOTS_TTL_S if policy.refusal else self._limits.robots_ttl_s
        self._policies[origin] = (self._clock() + ttl, policy)
        log.info("robots.txt for %s: %s", origin, policy.refusal or f"{len(policy.rules)} rules")
        return policy
