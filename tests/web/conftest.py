"""Fixtures for the gateway: the real app against a fake Rasa, on a throwaway SQLite file."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from muni.keys import rasa_token
from tests.web.support import NOW, SECRET, Client, ClientFactory, FakeContactCentre, FakeRasa

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
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


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((POSTGRES_HOST, POSTGRES_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A throwaway database on the local PostgreSQL server, dropped afterwards."""
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL is not reachable on {POSTGRES_HOST}:{POSTGRES_PORT}")
    name = f"muni_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", database="test")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
