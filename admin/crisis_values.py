"""The akutguide's values a municipality published in the console, for the gateway's own crisis answer.

The gateway answers crisis questions without Rasa (crisis/answers.py); this gives it the crisis
page, hotline, radio, TV and police a municipality filled in, read through the same short cache
as the crisis board (one query per CACHE_FOR per replica however many citizens ask), checked and
written like the action server writes them, and kept as last known when the database does not
answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from admin.local_content import guide_library
from conversation.directory import CRISIS_VARIABLES
from crisis.store import CACHE_FOR
from knowledge.local_values import LocalValueStore
from knowledge.published import to_values
from muni.clock import Clock

logger = logging.getLogger("muni.admin.crisis_values")


class PublishedCrisisValues:
    """Called with a slug: that municipality's published akutguide values as text (name -> text)."""

    def __init__(self, store: LocalValueStore, now: Clock, cache_for: timedelta = CACHE_FOR) -> None:
        self._store = store
        self._now = now
        self._cache_for = cache_for
        self._values: dict[str, dict[str, str]] = {}
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, municipality: str) -> Mapping[str, str]:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    await self._load()
        return self._values.get(municipality, {})

    def forget(self) -> None:
        self._loaded_at = None

    async def _load(self) -> None:
        try:
            raw = await self._store.published()
        except Exception:
            logger.exception("Could not read the published akutguide values; keeping the last known ones")
        else:
            wanted = {slug: {n: v for n, v in named.items() if n in CRISIS_VARIABLES} for slug, named in raw.items()}
            checked = to_values(wanted, guide_library().variables)
            self._values = {slug: {n: value.text() for n, value in named.items()} for slug, named in checked.items()}
        self._loaded_at = self._now()

    def _fresh(self) -> bool:
        if self._loaded_at is None:
            return False
        return timedelta(0) <= self._now() - self._loaded_at < self._cache_for
