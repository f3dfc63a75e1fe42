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
from knowledge.values import Value
from muni.clock import Clock

logger = logging.getLogger("muni.admin.crisis_values")


class PublishedCrisisValues:
    """Called with a slug and a language: that municipality's published akutguide values as text (name -> text).

    A value is written as a guide writes it in that language: published values are Danish, so in
    English a prose one (radio, TV, police) is the Danish text marked "(in Danish)" (knowledge/values.py).
    """

    def __init__(self, store: LocalValueStore, now: Clock, cache_for: timedelta = CACHE_FOR) -> None:
        self._store = store
        self._now = now
        self._cache_for = cache_for
        self._values: dict[str, dict[str, Value]] = {}
        self._prose: frozenset[str] = frozenset()
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, municipality: str, language: str = "da") -> Mapping[str, str]:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    await self._load()
        named = self._values.get(municipality, {})
        return {name: value.text(language, prose=name in self._prose) for name, value in named.items()}

    def forget(self) -> None:
        self._loaded_at = None

    async def _load(self) -> None:
        try:
            raw = await self._store.published()
        except Exception:
            logger.exception("Could not read the published akutguide values; keeping the last known ones")
        else:
            variables = guide_library().variables
            wanted = {slug: {n: v for n, v in named.items() if n in CRISIS_VARIABLES} for slug, named in raw.items()}
            self._values = to_values(wanted, variables)
            self._prose = frozenset(name for name in CRISIS_VARIABLES if name in variables and variables[name].prose)
        self._loaded_at = self._now()

    def _fresh(self) -> bool:
        if self._loaded_at is None:
            return False
        return timedelta(0) <= self._now() - self._loaded_at < self._cache_for
