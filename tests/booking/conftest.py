from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from booking.frontdesk import FrontDeskClient
from booking.sandbox.app import CALENDARS, SandboxSettings, create_app
from booking.settings import BookingEndpoint

# Monday 23 November 2026, 09:00 in Copenhagen.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def sandbox_app(database: Path, *, desks: int | None = None, now: datetime = NOW) -> web.Application:
    app = create_app(SandboxSettings(database=database, api_key="test-key", occupancy=0.0), now=lambda: now)
    if desks is not None:
        app[CALENDARS] = {slug: replace(calendar, desks=desks) for slug, calendar in app[CALENDARS].items()}
    return app


@pytest.fixture
async def sandbox_url(aiohttp_server: Callable, tmp_path: Path) -> str:
    server = await aiohttp_server(sandbox_app(tmp_path / "sandbox.db"))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client(session: aiohttp.ClientSession, base_url: str, slug: str = "aarhus", key: str = "test-key",
           timeout_s: float = 5.0) -> FrontDeskClient:
    return FrontDeskClient(session, BookingEndpoint(f"{base_url}/{slug}/v1", key, timeout_s, sandbox=True))
