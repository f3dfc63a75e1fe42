"""The state gateway replicas share through Redis (MUNI_REDIS_URL): the client, its timeouts, a lock.

Without MUNI_REDIS_URL each process keeps that state in its own memory (the embedded default
of `make run`); with it, rate limits, the voice webhooks' replay memory and the turn lock live in
Redis so that every replica behind a load balancer sees the same. Every call has a timeout
(`CALL_TIMEOUT_S`): a Redis that stalls costs a request at most that long, and the callers
decide what an error means (a rate limit fails open, a lock is held in-process only).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from muni.env import SettingsError, value

__all__ = ["CALL_TIMEOUT_S", "Redis", "RedisLock", "SharedStateError", "call", "connect", "redis_url_from_env"]

CALL_TIMEOUT_S = 0.5
KEY_PREFIX = "muni:"
_log = logging.getLogger(__name__)
T = TypeVar("T")


class SharedStateError(Exception):
    """Redis failed or did not answer in time; the message says which call."""


def redis_url_from_env(environ: Mapping[str, str]) -> str | None:
    """MUNI_REDIS_URL (redis://host:port/db or rediss://…), or None: state stays in this process."""
    url = value(environ, "MUNI_REDIS_URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise SettingsError(f"MUNI_REDIS_URL must be a redis:// or rediss:// URL, got {parts.scheme or url!r}:…")
    return url


def connect(url: str, *, timeout_s: float = CALL_TIMEOUT_S) -> Redis:
    """A client that connects on first use; every socket operation is bounded by `timeout_s`."""
    client: Redis = Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
        decode_responses=False,
    )
    return client


async def call(what: str, awaitable: Awaitable[T], timeout_s: float = CALL_TIMEOUT_S) -> T:
    """Await one Redis call within `timeout_s`; SharedStateError for any failure or a timeout."""
    try:
        return await asyncio.wait_for(awaitable, timeout_s)
    except (RedisError, OSError, TimeoutError) as error:
        raise SharedStateError(f"Redis {what}: {type(error).__name__}: {error}") from error


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass
class RedisLock:
    """A lock shared by every process on one Redis: `SET key token NX PX ttl`, released only by its holder.

    It expires after `ttl_s` whatever its holder does, so a replica that dies holding it
    blocks the others for at most that long.
    """

    client: Redis
    key: str
    ttl_s: float
    poll_s: float = 0.05
    _token: str | None = None

    async def acquire(self, wait_s: float) -> bool:
        """Try for up to `wait_s`; False when another holder kept it that long. SharedStateError on Redis errors."""
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        ttl_ms = max(1, int(self.ttl_s * 1000))
        while True:
            taken: Any = await call("lock", self.client.set(self.key, token, nx=True, px=ttl_ms))
            if taken:
                self._token = token
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(self.poll_s)

    async def release(self) -> None:
        """Give the lock back if it is still ours (it may have expired); a Redis error is only logged."""
        token, self._token = self._token, None
        if token is None:
            return
        try:
            await call("unlock", self.client.eval(_RELEASE, 1, self.key, token))
        except SharedStateError as error:
            _log.warning("could not release the lock %s (it expires by itself): %s", self.key, error)
