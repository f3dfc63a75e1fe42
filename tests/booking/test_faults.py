"""A booking API that is slow, fails, throttles or answers garbage: BookingUnavailable, never a double booking."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

import aiohttp
import pytest
from aiohttp import web

from booking import BookingUnavailable, OutcomeUnknown, Slot
from booking.model import COPENHAGEN
from tests.booking.conftest import client

SLOT = Slot("passport", "dokk1", datetime(2026, 11, 24, 10, 0, tzinfo=COPENHAGEN),
            datetime(2026, 11, 24, 10, 20, tzinfo=COPENHAGEN))
BOOKING = {"sandbox": True, "booking": {"reference": "SB-ABCDEF", "service": "passport", "location": "dokk1",
                                        "start": SLOT.start.isoformat(), "end": SLOT.end.isoformat(),
                                        "status": "confirmed"}}


class FaultyDesk:
    """A test booking server whose every answer is scripted by the test."""

    def __init__(self, behaviour: Callable[[web.Request, int], web.StreamResponse]) -> None:
        self.behaviour = behaviour
        self.calls: Counter[str] = Counter()
        self.keys: list[str] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.calls[f"{request.method} {request.path}"] += 1
        if key := request.headers.get("Idempotency-Key"):
            self.keys.append(key)
        result = self.behaviour(request, sum(self.calls.values()))
        return await result if asyncio.iscoroutine(result) else result

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


async def _desk(aiohttp_server: Callable, behaviour: Callable) -> tuple[FaultyDesk, str]:
    desk = FaultyDesk(behaviour)
    server = await aiohttp_server(desk.app())
    return desk, str(server.make_url("")).rstrip("/")


async def test_a_slow_api_times_out_quickly(aiohttp_server: Callable) -> None:
    async def slow(request: web.Request, n: int) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"services": []})

    desk, url = await _desk(aiohttp_server, slow)
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        with pytest.raises(BookingUnavailable, match="no answer"):
            await client(http, url, timeout_s=0.2).services()
        assert time.monotonic() - started < 2.5
    assert sum(desk.calls.values()) == 3, "a read is retried"


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_failing_reads_are_retried_then_given_up(aiohttp_server: Callable, status: int) -> None:
    desk, url = await _desk(aiohttp_server, lambda request, n: web.json_response({}, status=status))
    async with aiohttp.ClientSession() as http:
        with pytest.raises(BookingUnavailable, match=f"HTTP {status}"):
            await client(http, url).slots("passport", date(2026, 11, 24), date(2026, 11, 24))
    assert sum(desk.calls.values()) == 3


async def test_a_read_that_recovers_succeeds(aiohttp_server: Callable) -> None:
    def flaky(request: web.Request, n: int) -> web.Response:
        if n == 1:
            return web.json_response({}, status=502)
        return web.json_response({"services": [{"id": "passport", "name": "Pas", "minutes": 20}]})

    _, url = await _desk(aiohttp_server, flaky)
    async with aiohttp.ClientSession() as http:
        assert [s.id for s in await client(http, url).services()] == ["passport"]


async def test_creating_a_hold_is_never_retried(aiohttp_server: Callable) -> None:
    desk, url = await _desk(aiohttp_server, lambda request, n: web.json_response({}, status=503))
    async with aiohttp.ClientSession() as http:
        with pytest.raises(BookingUnavailable):
            await client(http, url).hold(SLOT)
    assert desk.calls == Counter({"POST /aarhus/v1/holds": 1})


async def test_a_confirm_retry_carries_the_same_idempotency_key(aiohttp_server: Callable) -> None:
    def lost_first_reply(request: web.Request, n: int) -> web.Response:
        return web.json_response({}, status=503) if n == 1 else web.json_response(BOOKING, status=201)

    desk, url = await _desk(aiohttp_server, lost_first_reply)
    async with aiohttp.ClientSession() as http:
        booking = await client(http, url).confirm("H-1", "Anna Jensen", "anna@example.dk", "muni-conv-H-1")
    assert booking.reference == "SB-ABCDEF"
    assert desk.keys == ["muni-conv-H-1", "muni-conv-H-1"]


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b"[1, 2, 3]", b'{"slots": "many"}', b'{"slots": [{"start": "tomorrow"}]}',
     b'{"slots": [{"service": "passport", "location": "x", "start": "2026-11-24T10:00", "end": "2026-11-24T10:20"}]}'],
    ids=["html", "list", "wrong-type", "missing-fields", "no-offset"],
)
async def test_garbage_is_unavailable_not_a_crash(aiohttp_server: Callable, body: bytes) -> None:
    _, url = await _desk(aiohttp_server, lambda request, n: web.Response(body=body, content_type="application/json"))
    async with aiohttp.ClientSession() as http:
        with pytest.raises(BookingUnavailable):
            await client(http, url).slots("passport", date(2026, 11, 24), date(2026, 11, 24))


async def test_nothing_listening_is_unavailable(unused_tcp_port: int) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(BookingUnavailable):
            await client(http, f"http://127.0.0.1:{unused_tcp_port}", timeout_s=0.5).services()


async def test_a_confirm_that_is_never_answered_has_an_unknown_outcome(aiohttp_server: Callable) -> None:
    async def books_then_hangs(request: web.Request, n: int) -> web.Response:
        await asyncio.sleep(5)  # the booking is written, the answer never comes in time
        return web.json_response(BOOKING, status=201)

    desk, url = await _desk(aiohttp_server, books_then_hangs)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(OutcomeUnknown, match="outcome unknown"):
            await client(http, url, timeout_s=0.2).confirm("H-1", "Anna Jensen", "anna@example.dk", "muni-conv-H-1")
    assert set(desk.keys) == {"muni-conv-H-1"}, "every attempt is the same request"


@pytest.mark.parametrize("status", [500, 429])
async def test_a_failing_move_has_an_unknown_outcome(aiohttp_server: Callable, status: int) -> None:
    desk, url = await _desk(aiohttp_server, lambda request, n: web.json_response({}, status=status))
    async with aiohttp.ClientSession() as http:
        with pytest.raises(OutcomeUnknown):
            await client(http, url).move("SB-ABCDEF", "H-1", "muni-conv-H-1")


async def test_a_refused_confirm_is_not_an_unknown_outcome(aiohttp_server: Callable) -> None:
    refuse = {"error": {"code": "bad_body", "message": "no"}}
    desk, url = await _desk(aiohttp_server, lambda request, n: web.json_response(refuse, status=400))
    async with aiohttp.ClientSession() as http:
        with pytest.raises(BookingUnavailable) as raised:
            await client(http, url).confirm("H-1", "Anna Jensen", "anna@example.dk", "muni-conv-H-1")
    assert not isinstance(raised.value, OutcomeUnknown)
    assert sum(desk.calls.values()) == 1


async def test_a_retry_after_longer_than_a_turn_stops_the_retries_at_once(aiohttp_server: Callable) -> None:
    throttled = lambda request, n: web.json_response({}, status=429, headers={"Retry-After": "30"})  # noqa: E731
    desk, url = await _desk(aiohttp_server, throttled)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(BookingUnavailable, match="Retry-After 30 s"):
            await client(http, url, timeout_s=2.0).slots("passport", date(2026, 11, 24), date(2026, 11, 24))
    assert sum(desk.calls.values()) == 1, "the API asked us to wait: it is not asked again within the turn"


async def test_a_short_retry_after_is_waited_for_then_asked_again(aiohttp_server: Callable) -> None:
    def once_throttled(request: web.Request, n: int) -> web.Response:
        if n == 1:
            return web.json_response({}, status=429, headers={"Retry-After": "1"})
        return web.json_response({"services": [{"id": "passport", "name": "Pas", "minutes": 20}]})

    desk, url = await _desk(aiohttp_server, once_throttled)
    async with aiohttp.ClientSession() as http:
        services = await client(http, url, timeout_s=2.0).services()
    assert [s.id for s in services] == ["passport"] and sum(desk.calls.values()) == 2
