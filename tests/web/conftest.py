"""Fixtures for the gateway: the real app against a fake Rasa, on a throwaway SQLite file (or PostgreSQL)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from muni.keys import rasa_token
from tests.support.postgres import postgres_url  # noqa: F401 (the fixture, for the tests of this package)
from tests.support.redis import test_redis  # noqa: F401 (the fixture, for the tests of this package)
from tests.web.support import NOW, SECRET, Client, ClientFactory, FakeContactCentre, FakeRasa


@contextlib.asynccontextmanager
async def served_fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    """A FakeRasa listening on a free loopback port, and its URL."""
    fake = FakeRasa()
    fake.token = rasa_token(SECRET)
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        fake.release()
        await server.close()


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    async with served_fake_rasa() as served:
        yield served


@pytest.fixture
async def second_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    """Another Rasa server beside `fake_rasa`, for a gateway that knows several."""
    async with served_fake_rasa() as served:
        yield served


@pytest.fixture
def rasa(fake_rasa: tuple[FakeRasa, str]) -> FakeRasa:
    return fake_rasa[0]


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "muni.db"


@pytest.fixture
def settings(fake_rasa: tuple[FakeRasa, str], database_path: Path) -> GatewaySettings:
    url = fake_rasa[1]
    return GatewaySettings(
        secret_key=SECRET,
        rasa_url=url,
        actions_url=url,
        database_url=f"sqlite+aiosqlite:///{database_path}",
        rasa_timeout_s=0.3,
    )


@pytest.fixture
def contact_centre() -> FakeContactCentre:
    return FakeContactCentre()


@pytest.fixture
def directory(contact_centre: FakeContactCentre) -> Directory:
    return Directory(
        municipalities={"aarhus": "Aarhus Kommune", "skive": "Skive Kommune"},
        topics=frozenset({"passport", "moving", "appointment_booking"}),
        contact_centre=contact_centre,
    )


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: GatewaySettings,
    directory: Directory,
) -> ClientFactory:
    """Start the gateway (real create_app) against the fake Rasa; keyword arguments override."""

    async def make(**overrides: Any) -> Client:
        app_settings = overrides.pop("settings", settings)
        return await aiohttp_client(create_app(app_settings, directory, now=lambda: NOW, **overrides))

    return make


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client()
