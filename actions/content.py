"""Keep the guides' local values in step with what municipalities publish in the console."""

from __future__ import annotations

import asyncio

from actions.replies import library
from actions.settings import action_settings
from knowledge.local_values import LocalValueStore
from knowledge.published import Follower
from muni.db import open_engine


async def follow_published_values(stopped: asyncio.Event | None = None) -> None:
    """Poll the gateway's database for the content version, reload on change; runs until cancelled or stopped."""
    settings = action_settings()
    guides = library()
    engine = open_engine(settings.database_url)
    try:
        await Follower(LocalValueStore(engine), guides.published, guides.variables).run(settings.content_poll_s, stopped)
    finally:
        await engine.dispose()
