"""The action server checks its settings before it serves: `python -m actions` stops at once, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from actions.settings import ActionServerSettings
from muni.env import SettingsError
from muni.paths import ROOT
from tests.support.ports import free_port

SECRET = "an-action-server-test-secret-of-40-chars"


def start(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUNI_")}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-m", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "MUNI_SECRET_KEY"),
        ({"MUNI_SECRET_KEY": SECRET, "MUNI_BOOKING_TIMEOUT_S": "0"}, "MUNI_BOOKING_TIMEOUT_S"),
        ({"MUNI_SECRET_KEY": SECRET, "MUNI_BOOKING_TIMEOUT_S": "soon"}, "MUNI_BOOKING_TIMEOUT_S"),
        ({"MUNI_SECRET_KEY": SECRET, "MUNI_QDRANT_URL": "qdrant:6333"}, "MUNI_QDRANT_URL"),
    ],
)
def test_a_missing_or_bad_setting_stops_the_start(environ: dict[str, str], named: str) -> None:
    result = start(**environ)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_a_booking_that_could_outlast_the_gateways_wait_stops_the_start() -> None:
    # 3 attempts of 4 s each cannot finish inside a 5 s wait for the whole turn.
    result = start(MUNI_SECRET_KEY=SECRET, MUNI_BOOKING_TIMEOUT_S="4", MUNI_RASA_TIMEOUT_S="5")
    assert result.returncode == 2
    assert "MUNI_BOOKING_TIMEOUT_S=4" in result.stderr and "MUNI_RASA_TIMEOUT_S=5" in result.stderr


def test_the_settings_read_every_variable_the_actions_use() -> None:
    settings = ActionServerSettings.from_env(
        {
            "MUNI_SECRET_KEY": SECRET,
            "MUNI_BOOKING_TIMEOUT_S": "1.5",
            "MUNI_INDEX_DIR": "/srv/muni/index",
            "MUNI_EMBEDDING_MODEL": str(ROOT / "build" / "multilingual-e5-small"),
        }
    )
    assert settings.booking.timeout_s == 1.5
    assert str(settings.index.index_dir) == "/srv/muni/index"
    assert settings.embedding is not None and settings.embedding.model.endswith("multilingual-e5-small")
    assert SECRET not in repr(settings)


def test_a_bad_embedding_setting_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(SettingsError, match="MUNI_EMBEDDING_THREADS"):
        ActionServerSettings.from_env(
            {"MUNI_SECRET_KEY": SECRET, "MUNI_EMBEDDING_MODEL": "some/model", "MUNI_EMBEDDING_THREADS": "0"}
        )


def test_the_action_server_reads_the_gateways_database_for_published_values() -> None:
    url = "postgresql+asyncpg://muni:geheim@db/muni"
    settings = ActionServerSettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_DATABASE_URL": url, "MUNI_CONTENT_POLL_S": "10"})
    assert settings.database_url == url and settings.content_poll_s == 10
    assert "geheim" not in repr(settings)
    default = ActionServerSettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_VAR_DIR": "/srv/muni/var"})
    assert default.database_url == "sqlite+aiosqlite:////srv/muni/var/muni.db" and default.content_poll_s == 15


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"MUNI_CONTENT_POLL_S": "55"}, "MUNI_CONTENT_POLL_S must be at most 50"),  # a publish must arrive within 60 s
        ({"MUNI_CONTENT_POLL_S": "0"}, "MUNI_CONTENT_POLL_S"),
        ({"MUNI_DATABASE_URL": "mysql://db/muni"}, "MUNI_DATABASE_URL"),
    ],
)
def test_a_bad_content_setting_stops_the_start(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        ActionServerSettings.from_env({"MUNI_SECRET_KEY": SECRET, **environ})
