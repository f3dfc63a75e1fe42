"""The action server follows what municipalities publish in the console, from the settings' database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from actions.content import follow_published_values
from actions.replies import library
from actions.settings import action_settings
from conversation.schema import upgrade_database
from knowledge.local_values import LocalValueStore
from knowledge.published import PublishedValues, Snapshot
from muni.db import open_engine

SECRET = "an-action-server-test-secret-of-40-chars"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}"
    for name, value in {"MUNI_SECRET_KEY": SECRET, "MUNI_DATABASE_URL": url, "MUNI_CONTENT_POLL_S": "0.1"}.items():
        monkeypatch.setenv(name, value)
    action_settings.cache_clear()
    published: PublishedValues = library().published
    try:
        yield url
    finally:
        published.replace(Snapshot(-1, {}))  # the process's library is shared by every test
        action_settings.cache_clear()


async def test_the_action_server_answers_with_a_value_published_in_the_database(database: str) -> None:
    engine = open_engine(database)
    await upgrade_database(engine)
    task = asyncio.create_task(follow_published_values())
    try:
        await LocalValueStore(engine).publish(
            "aarhus", "passport_photo_price", 175, datetime(2026, 12, 6, tzinfo=UTC), actor_id=None
        )
        for _ in range(100):
            if "for 175 kr." in library().answer("passport", "aarhus").text:
                break
            await asyncio.sleep(0.05)
        assert "Pasfoto kan tages i Borgerservice for 175 kr." in library().answer("passport", "aarhus").text
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()


def test_the_plugin_starts_following_when_the_server_starts() -> None:
    import rasa_sdk_plugins

    class App:
        def __init__(self) -> None:
            self.listeners: list[tuple[str, Any]] = []

        def register_listener(self, listener: Any, event: str) -> None:
            self.listeners.append((event, listener))

        def add_route(self, *args: Any, **kwargs: Any) -> None:
            pass

        def register_middleware(self, middleware: Any, attach_to: str) -> None:
            self.listeners.append((attach_to, middleware))

    app = App()
    rasa_sdk_plugins.attach_sanic_app_extensions(app)
    attached = [(event, listener.__name__) for event, listener in app.listeners]
    assert ("after_server_start", "follow_content") in attached
    assert ("after_server_stop", "stop_background") in attached, "and ends it when the server stops"
    assert ("request", "request_id") in attached, "each action call is logged with the turn's request id"
