"""One turn of a conversation at a time: a second turn sent before the first is answered waits for it.

Rasa answers a conversation's turns in the order they reach it, and the log records them in
the order they are written; two turns of one conversation sent at once (a double click, a
retry, a phone webhook repeated) could otherwise interleave: both citizen turns recorded, then
the answers crossed. `LocalTurnLocks` (asyncio, this process) serves `make run`; with
MUNI_REDIS_URL, `RedisTurnLocks` adds a Redis lock per conversation so turns that reach two
gateway replicas are serialised too. The Redis lock expires after `ttl_s` (longer than a turn
may take), so a replica that dies mid-turn holds the conversation up for at most that long; when
Redis fails, the turn goes on under the in-process lock only (logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from muni.shared_state import Redis, RedisLock, SharedStateError

_log = logging.getLogger(__name__)


class TurnLocks(Protocol):
    def turn(self, conversation_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Held for the whole of one turn of the conversation."""
        ...


class LocalTurnLocks:
    """An asyncio lock per conversation (waiters are served first come, first served), dropped when idle."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] = self._users.get(conversation_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[conversation_id] -= 1
            if not self._users[conversation_id]:
                del self._users[conversation_id], self._locks[conversation_id]

    def __len__(self) -> int:
        """How many conversations have a turn under way or waiting (tests check nothing is kept)."""
        return len(self._locks)


class RedisTurnLocks:
    """The in-process lock first (one Redis poller per conversation and process), then Redis's."""

    def __init__(self, client: Redis, prefix: str, ttl_s: float) -> None:
        self._client = client
        self._prefix = f"{prefix}turn:"
        self._ttl_s = ttl_s
        self._local = LocalTurnLocks()

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        async with self._local.turn(conversation_id):
            lock = RedisLock(self._client, self._prefix + conversation_id, ttl_s=self._ttl_s)
            try:
                if not await lock.acquire(wait_s=self._ttl_s):
                    _log.warning("turn lock of %s held elsewhere for %.0f s; answering anyway", conversation_id, self._ttl_s)
            except SharedStateError as error:
                _log.warning("turn lock not taken (Redis), serialised in this process only: %s", error)
            try:
                yield
            finally:
                await lock.release()
