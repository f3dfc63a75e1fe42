"""The gateway with chat API and signed voice webhooks, on SQLite and on PostgreSQL, for the figures' tests."""

from __future__ import annotations

import dataclasses

import pytest

from admin.roles import Role
from gateway.settings import GatewaySettings
from tests.admin.support import make_user, stores
from tests.statistics.test_aggregates import script_the_day
from tests.voice.conftest import (  # noqa: F401 (fixtures)
    VoiceClientFactory,
    clock,
    make_voice_client,
    outbox,
    outbox_path,
    voice_settings,
)
from tests.voice.support import Clock
from tests.web.conftest import (  # noqa: F401 (fixtures)
    closed_port_url,
    contact_centre,
    database_path,
    directory,
    fake_rasa,
    postgres_url,
    rasa,
)
from tests.web.conftest import settings as sqlite_settings  # noqa: F401 (a fixture)
from tests.web.support import Client, FakeRasa


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, sqlite_settings: GatewaySettings) -> GatewaySettings:  # noqa: F811
    """The gateway's settings on each database Muni supports."""
    if request.param == "sqlite":
        return sqlite_settings
    url: str = request.getfixturevalue("postgres_url")
    return dataclasses.replace(sqlite_settings, database_url=url)


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DAY = "from=2026-03-02&to=2026-03-02"


@pytest.fixture
async def client(
    make_voice_client: VoiceClientFactory,  # noqa: F811 (the fixture imported above)
    rasa: FakeRasa,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> Client:
    """A gateway where the day was scripted, with Aarhus's admin, Skive's admin and the consortium's."""
    client = await make_voice_client()
    await script_the_day(client, rasa, clock)
    await make_user(client, "anne.aarhus", Role.MUNICIPALITY_ADMIN, "aarhus", at=clock.now)
    await make_user(client, "sofie.skive", Role.MUNICIPALITY_ADMIN, "skive", at=clock.now)
    await make_user(client, "hotline.agent", Role.AGENT, at=clock.now)
    admin = await make_user(client, "konsortiet", Role.CONSORTIUM_ADMIN, at=clock.now)
    await stores(client).users.enable_second_factor(admin.id, SECRET)
    return client
