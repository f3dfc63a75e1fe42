"""The gateway with chat API and signed voice webhooks, on SQLite and on PostgreSQL, for the figures' tests."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.settings import GatewaySettings
from tests.voice.conftest import (  # noqa: F401 (fixtures)
    clock,
    make_voice_client,
    outbox,
    outbox_path,
    voice_settings,
)
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, sqlite_settings: GatewaySettings) -> GatewaySettings:  # noqa: F811
    """The gateway's settings on each database Muni supports."""
    if request.param == "sqlite":
        return sqlite_settings
    url: str = request.getfixturevalue("postgres_url")
    return dataclasses.replace(sqlite_settings, database_url=url)
