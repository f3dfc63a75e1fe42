"""Replayed Twilio webhooks: the same signed request again is answered as the first time, with no new effect.

Twilio signs the URL and the form but no time and no nonce, so a captured request stays
valid, and Twilio itself repeats a request whose answer it did not get. A request is a
repeat when its URL and signature were seen before (the signature covers the form) *and*
its call has not moved since the first one was answered; then it gets the first answer
again and no handler runs: no second SMS, no second transfer, no second choice in the
statistics. A request identical to an earlier one after the call moved on (the same key
pressed again later in the call, on a new topic) is new and handled.

The memory is this process's: `REPLAY_WINDOW` (longer than a call may last) and
`MAX_REMEMBERED` requests, the oldest forgotten first.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

REPLAY_WINDOW = timedelta(hours=4)  # Twilio ends a call after four hours by default
MAX_REMEMBERED = 10_000


@dataclass(frozen=True)
class _Answered:
    at: datetime
    call_state: str  # the call as the first answer left it
    status: int
    body: bytes
    content_type: str
    charset: str | None

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=self.body, content_type=self.content_type, charset=self.charset)


class ReplayGuard:
    """The answers to recent webhooks, by URL and signature."""

    def __init__(self, window: timedelta = REPLAY_WINDOW, max_remembered: int = MAX_REMEMBERED) -> None:
        self._window = window
        self._max = max_remembered
        self._answered: OrderedDict[str, _Answered] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

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
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                earlier = self._answered.get(key)
                if earlier is not None and now - earlier.at < self._window and earlier.call_state == await call_state():
                    return earlier.response()
                response = await handle()
                body = response.body if isinstance(response, web.Response) else None
                if response.status < 500 and (body is None or isinstance(body, bytes)):
                    answered = _Answered(
                        now, await call_state(), response.status, body or b"", response.content_type, response.charset
                    )
                    self._remember(key, answered)
                return response
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    def _remember(self, key: str, answered: _Answered) -> None:
        self._answered[key] = answered
        self._answered.move_to_end(key)
        while len(self._answered) > self._max:
            self._answered.popitem(last=False)
