"""Fixtures for the web channels: the real gateway against a fake Rasa, with a recording SMS sender."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from conversation.directory import Directory, Embedding
from gateway.app import create_app
from gateway.settings import GatewaySettings
from sms.sender import SentSms, SmsUnavailable, mask_number, phone_hash
from tests.web.conftest import contact_centre, database_path, fake_rasa, rasa, settings  # noqa: F401
from tests.web.support import NOW, SECRET, Client, ClientFactory, FakeContactCentre
from web.channels.settings import WebChannelSettings, parse_agent_keys
from web.channels.state import SMS_SENDER

TEST_PAGE = "http://127.0.0.1:8123"
FOREIGN = "https://evil.example"
HOTLINE_KEY = "hotline-key-0123456789abcdefghijklmnop"
SKIVE_KEY = "skive-key-0123456789abcdefghijklmnopqr"


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class FakeSms:
    """Records what would be sent; `fail` makes the next sends fail as an unreachable provider."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    fail: bool = False

    async def send(self, to: str, body: str, *, idempotency_key: str) -> SentSms:
        if self.fail:
            raise SmsUnavailable("provider down")
        self.sent.append((to, body, idempotency_key))
        return SentSms(
            id=f"SM{len(self.sent)}",
            idempotency_key=idempotency_key,
            to_hash=phone_hash(to, b"k"),
            to_masked=mask_number(to),
            status="queued",
        )


@pytest.fixture
def sms() -> FakeSms:
    return FakeSms()


@pytest.fixture
def channel_settings(settings: GatewaySettings) -> GatewaySettings:  # noqa: F811
    channels = WebChannelSettings(
        extra_origins=(TEST_PAGE,),
        agent_keys=parse_agent_keys(f"hotline:*:{sha(HOTLINE_KEY)}; skive-borgerservice:skive:{sha(SKIVE_KEY)}"),
        sms_per_key_per_hour=5,
        sms_per_recipient_per_hour=2,
    )
    return replace(settings, channels=channels, public_url="https://muni.example")


@pytest.fixture
def web_directory(contact_centre: FakeContactCentre) -> Directory:  # noqa: F811
    return Directory(
        municipalities={"aarhus": "Aarhus Kommune", "skive": "Skive Kommune"},
        topics=frozenset({"passport", "moving", "appointment_booking"}),
        contact_centre=contact_centre,
        embeddings={
            "aarhus": Embedding(
                website="aarhus.dk",
                origins=("https://aarhus.dk", "https://www.aarhus.dk"),
                pages=("/borger/*",),
                colour="#00558c",
            ),
            "skive": Embedding(website="skive.dk", origins=("https://skive.dk", "https://www.skive.dk")),
        },
        topic_titles={"passport": "Pas", "moving": "Flytning", "appointment_booking": "Bestil tid"},
    )


@pytest.fixture
def make_channel_client(
    aiohttp_client: Callable[..., Awaitable[Client]],
    channel_settings: GatewaySettings,
    web_directory: Directory,
    sms: FakeSms,
) -> ClientFactory:
    async def make(**overrides: Any) -> Client:
        app_settings = overrides.pop("settings", channel_settings)
        app = create_app(app_settings, web_directory, now=lambda: NOW, **overrides)
        app[SMS_SENDER] = sms
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_channel_client: ClientFactory) -> Client:
    return await make_channel_client()


__all__ = ["FOREIGN", "HOTLINE_KEY", "SECRET", "SKIVE_KEY", "TEST_PAGE"]
