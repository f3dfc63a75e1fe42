"""The console on the real gateway (create_app), on a throwaway database, with a clock the test moves."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from admin.crawls import CrawlRunner
from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.admin.support import MovableClock
from tests.web.conftest import (  # noqa: F401
    contact_centre,
    database_path,
    fake_rasa,
    postgres_url,
    settings,
)
from tests.web.support import Client, FakeContactCentre


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def directory(contact_centre: FakeContactCentre) -> Directory:  # noqa: F811
    return Directory(
        municipalities={"aarhus": "Aarhus Kommune", "skive": "Skive Kommune", "viborg": "Viborg Kommune"},
        topics=frozenset({"passport", "moving"}),
        contact_centre=contact_centre,
        topic_titles={"passport": "Pas", "moving": "Flytning"},
    )


@pytest.fixture
def make_console(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: GatewaySettings,  # noqa: F811
    directory: Directory,
    clock: MovableClock,
    tmp_path: Path,
) -> Callable[..., Awaitable[Client]]:
    async def make(**overrides: Any) -> Client:
        app_settings = overrides.pop("settings", settings)
        # A crawl started in a test never reaches the internet: the commands do nothing.
        idle = (sys.executable, "-c", "pass")
        overrides.setdefault("crawls", CrawlRunner(tmp_path / "crawl", crawl=idle, index=idle, suggest=idle))
        return await aiohttp_client(create_app(app_settings, directory, now=clock, **overrides))

    return make


@pytest.fixture
async def console(make_console: Callable[..., Awaitable[Client]]) -> Client:
    return await make_console()
