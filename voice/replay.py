"""Replayed Twilio webhooks: the same signed request again is answered as the first time, with no new effect.

Twilio signs the URL and the form but no time and no nonce, so a captured request stays
valid, and Twilio itself repeats a request whose answer it did not get. A request is a
repeat when its URL and signature were seen before (the signature covers the form) *and*
its call has not moved since the first one was answered; then it gets the first answer
again and no handler runs: no second SMS, no second transfer, no second choice in the
statistics. A request identical to an earlier one after the call moved on (the same key
pressed again later in the call, on a new topic) is new and handled.

The memory is this process's by default (`LocalReplayMemory`: `REPLAY_WINDOW`, longer than a
call may last, and `MAX_REMEMBERED` requests, the oldest forgotten first). With MUNI_REDIS_URL it
is Redis (`RedisReplayMemory`), so a repeat that the load balancer sends to another gateway
replica is still answered once; when Redis fails, the request is handled as new (logged), since
a caller must never get an error instead of an answer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Protocol

from aiohttp import web

from muni.shared_state import Redis, RedisLock, SharedStateError, call

REPLAY_WINDOW = timedelta(hours=4)  # Twilio ends a call after four hours by default
MAX_REMEMBERED = 10_000
HANDLING_LOCK_S = 20.0  # longer than Twilio waits for an answer (15 s)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answered:
    at: datetime
    call_state: str  # the call as the first answer left it
    status: int
    body: bytes
    content_type: str
    charset: str | None

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=self.body, content_type=self.content_type, charset=self.charset)

    def to_json(self) -> str:
        fields = asdict(self)
        fields["at"] = self.at.isoformat()
        fields["body"] = base64.b64encode(self.body).decode("ascii")
        return json.dumps(fields)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Answered:
        fields = json.loads(raw)
        fields["at"] = datetime.fromisoformat(fields["at"])
        fields["body"] = base64.b64decode(fields["body"])
        return cls(**fields)


class ReplayMemory(Protocol):
    """Where the answers are kept, and how handling one request at a time per key is ensured."""

    def handling(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while a request with this key is looked up and handled."""
        ...

    async def recall(self, key: str) -> Answered | None: ...

    async def remember(self, key: str, answered: Answered) -> None: ...


class _LocalLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked():
                self._locks.pop(key, None)


class LocalReplayMemory:
    """This process's memory: the embedded default."""

    def __init__(self, window: timedelta = REPLAY_WINDOW, max_remembered: int = MAX_REMEMBERED) -> None:
        self.window = window
        self._max = max_remembered
        self._answered: OrderedDict[str, Answered] = OrderedDict()
        self._locks = _LocalLocks()

    def handling(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        return self._locks.hold(key)

    async def recall(self, key: str) -> Answered | None:
        return self._answered.get(key)

    async def remember(self, key: str, answered: Answered) -> None:
        self._answered[key] = answered
        self._answered.move_to_end(key)
        while len(self._answered) > self._max:
            self._answered.popitem(last=False)


class RedisReplayMemory:
    """Answers kept in Redis for `window` under `{prefix}replay:`; a Redis lock spans the replicas."""

    def __init__(self, client: Redis, prefix: str, window: timedelta = REPLAY_WINDOW) -> None:
        self._client = client
        self._prefix = f"{prefix}replay:"
        self._window = window
        self._locks = _LocalLocks()

    @contextlib.asynccontextmanager
    async def handling(self, key: str) -> AsyncIterator[None]:
        async with self._locks.hold(key):
            lock = RedisLock(self._client, f"{self._prefix}lock:{key}", ttl_s=HANDLING_LOCK_S)
            try:
                if not await lock.acquire(wait_s=HANDLING_LOCK_S):
                    _log.warning("replay lock %s still held elsewhere after %.0f s; handling anyway", key, HANDLING_LOCK_S)
            except SharedStateError as error:
                _log.warning("replay lock not taken (Redis), handling in this process only: %s", error)
            try:
                yield
            finally:
                await lock.release()

    async def recall(self, key: str) -> Answered | None:
        try:
            raw = await call("replay recall", self._client.get(self._prefix + key))
        except SharedStateError as error:
            _log.warning("replay memory not read, the request is handled as new: %s", error)
            return None
        return None if raw is None else Answered.from_json(raw)

    async def remember(self, key: str, answered: Answered) -> None:
        ttl_ms = int(self._window.total_seconds() * 1000)
        try:
            await call("replay remember", self._client.set(self._prefix + key, answered.to_json(), px=ttl_ms))
        except SharedStateError as error:
            _log.warning("replay memory not written: %s", error)


class ReplayGuard:
    """The answers to recent webhooks, by URL and signature."""

    def __init__(self, memory: ReplayMemory | None = None, window: timedelta = REPLAY_WINDOW) -> None:
        self._window = window
        self._memory: ReplayMemory = memory if memory is not None else LocalReplayMemory(window)

    async def answer(
        self,
        url: str,
        signature: str,
        now: datetime,
        call_state: Callable[[], Awaitable[str]],
        handle: Callable[[], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """The first answer again for a repeat, else `handle()`; a repeat arriving meanwhile waits for it."""
        key = hashlib.sha256(f"{url}\n{signature}".encode()).hexdigest()
        async with self._memory.handling(key):
            earlier = await self._memory.recall(key)
            if earlier is not None and now - earlier.at < self._window and earlier.call_state == await call_state():
                return earlier.response()
            response = await handle()
            body = response.body if isinstance(response, web.Response) else None
            if response.status < 500 and (body is None or isinstance(body, bytes)):
                answered = Answered(
                    now, await call_state(), response.status, body or b"", response.content_type, response.charset
                )
                await self._memory.remember(key, answered)
            return response
