"""The booking backend's health: every adapter call recorded (no ids), summarised per day, a bounded connection test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from booking import BookingUnavailable
from booking.frontdesk import FrontDeskClient
from booking.health import BookingCall, BookingHealthLog, HealthRecorder, booking_calls, check_connection
from booking.settings import BookingEndpoint
from conversation.schema import upgrade_database
from muni.db import open_engine

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}")
    await upgrade_database(engine)
    yield engine
    await engine.dispose()


def _desk(fail_bookings: bool = False) -> web.Application:
    async def services(request: web.Request) -> web.Response:
        return web.json_response({"services": [{"id": "passport", "name": "Pas", "minutes": 20}]})

    async def lookup(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "down"}}, status=503)

    app = web.Application()
    app.router.add_get("/aarhus/v1/services", services)
    app.router.add_get("/aarhus/v1/bookings/{reference}", lookup)
    return app


async def test_every_call_is_recorded_without_ids_and_summarised(aiohttp_server: Callable, engine: AsyncEngine) -> None:
    server = await aiohttp_server(_desk())
    log = BookingHealthLog(engine, clock=lambda: T0)
    endpoint = BookingEndpoint(str(server.make_url("/aarhus/v1")), "key", timeout_s=0.5)
    async with aiohttp.ClientSession() as session:
        client = FrontDeskClient(session, endpoint, recorder=HealthRecorder(log, "aarhus", clock=lambda: T0))
        await client.services()
        with pytest.raises(BookingUnavailable):
            await client.lookup("SB-SECRET1")
    health = await log.health("aarhus")
    assert health.calls == 2 and health.errors == 1
    assert health.last_ok is False and health.last_error is not None and "503" in health.last_error
    assert health.last_at == T0 and health.median_latency_ms is not None
    async with engine.connect() as connection:
        operations = {row.operation for row in await connection.execute(select(booking_calls))}
    assert operations == {"GET /services", "GET /bookings"}  # the reference is never stored
    assert (await log.health("skive")).calls == 0


async def test_only_the_last_day_counts_and_old_calls_are_pruned(engine: AsyncEngine) -> None:
    now = {"at": T0}
    log = BookingHealthLog(engine, clock=lambda: now["at"])
    await log.record(BookingCall("aarhus", T0, "GET /services", 40, ok=False, error="HTTP 503"))
    now["at"] = T0 + timedelta(days=1, minutes=1)
    await log.record(BookingCall("aarhus", now["at"], "GET /services", 20, ok=True))
    health = await log.health("aarhus")
    assert (health.calls, health.errors, health.last_ok) == (1, 0, True)
    now["at"] = T0 + timedelta(days=3, minutes=2)
    await log.record(BookingCall("aarhus", now["at"], "GET /services", 30, ok=True))
    async with engine.connect() as connection:
        kept = (await connection.execute(select(booking_calls.c.at))).scalars().all()
    assert len(kept) == 1  # older than two days: gone


async def test_the_connection_test_answers_within_the_time_budget(aiohttp_server: Callable, engine: AsyncEngine) -> None:
    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({})

    slow = web.Application()
    slow.router.add_get("/{tail:.*}", silent)
    server = await aiohttp_server(slow)
    environ = {
        "MUNI_BOOKING_URL_AARHUS": str(server.make_url("/aarhus/v1")),
        "MUNI_BOOKING_KEY_AARHUS": "key",
        "MUNI_BOOKING_TIMEOUT_S": "0.2",
    }
    log = BookingHealthLog(engine)
    started = time.monotonic()
    result = await check_connection("aarhus", log, environ)
    assert time.monotonic() - started < 2.0
    assert result.ok is False and "svarede ikke" in result.message and result.sandbox is False
    assert (await log.health("aarhus")).errors == 1


async def test_the_connection_test_reports_a_working_api(aiohttp_server: Callable) -> None:
    server = await aiohttp_server(_desk())
    environ = {"MUNI_BOOKING_URL_AARHUS": str(server.make_url("/aarhus/v1")), "MUNI_BOOKING_KEY_AARHUS": "key"}
    result = await check_connection("aarhus", None, environ)
    assert result.ok is True and "1 ydelser" in result.message
