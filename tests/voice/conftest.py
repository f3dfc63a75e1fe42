"""Fixtures for the IVR: the real gateway with /voice/ mounted, a fake Rasa, the real opening hours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from knowledge import ContactCentre
from sms.sender import OutboxSmsSender
from tests.voice.support import AGENTS, PUBLIC_URL, TOKEN, Clock
from tests.web.conftest import (  # noqa: F401 (fixtures)
    closed_port_url,
    contact_centre,
    database_path,
    directory,
    fake_rasa,
    rasa,
    settings,
    test_redis,
)
from tests.web.support import Client
from voice.settings import TransferTarget, VoiceSettings
from voice.state import VoiceConfig

HASH_KEY = b"test-phone-hash-key"
VoiceClientFactory = Callable[..., Awaitable[Client]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sms_outbox.jsonl"


@pytest.fixture
def outbox(outbox_path: Path) -> OutboxSmsSender:
    """A reader of the sandbox outbox the gateway writes to."""
    return OutboxSmsSender(outbox_path, HASH_KEY)


@pytest.fixture
def voice_settings() -> VoiceSettings:
    return VoiceSettings(
        auth_token=TOKEN,
        public_url=PUBLIC_URL,
        transfer=TransferTarget("number", AGENTS),
        municipality="aarhus",
        assistant_timeout_s=1.0,
    )


@pytest.fixture
def make_voice_client(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: GatewaySettings,  # noqa: F811
    directory: Directory,  # noqa: F811
    voice_settings: VoiceSettings,
    outbox_path: Path,
    clock: Clock,
) -> VoiceClientFactory:
    async def make(**overrides: Any) -> Client:
        config = VoiceConfig(
            settings=overrides.pop("voice_settings", voice_settings),
            centre=ContactCentre.load(),
            phone_hash_key=HASH_KEY,
        )
        sms = OutboxSmsSender(outbox_path, HASH_KEY)  # the gateway's one SMS sender, here the sandbox
        app = create_app(overrides.pop("settings", settings), directory, now=clock, voice=config, sms=sms, **overrides)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_voice_client: VoiceClientFactory) -> Client:
    return await make_voice_client()

