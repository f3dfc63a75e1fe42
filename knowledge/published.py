"""What an action server answers with: the published values and guides, followed from the database.

A Follower reads the content version (one small row) every poll and reloads everything only
when it moved; PublishedValues holds one immutable snapshot, replaced whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from knowledge.errors import KnowledgeDataError
from knowledge.kinds import InvalidValue, Scalar
from knowledge.templates import Guide, parse_guide
from knowledge.values import Value, Variable

if TYPE_CHECKING:  # the store is SQL; GuideLibrary (and the safety screen through knowledge) must not load it
    from knowledge.local_values import LocalValueStore

logger = logging.getLogger("muni.knowledge.published")


@dataclass(frozen=True)
class Snapshot:
    version: int
    values: Mapping[str, Mapping[str, Value]]
    guides: Mapping[str, Mapping[str, Guide]] = field(default_factory=lambda: MappingProxyType({}))


class PublishedValues:
    """The values an action server answers with: one immutable snapshot, replaced whole on reload."""

    def __init__(self) -> None:
        self._snapshot = Snapshot(-1, MappingProxyType({}))

    @property
    def version(self) -> int:
        return self._snapshot.version

    def of(self, municipality: str) -> Mapping[str, Value]:
        return self._snapshot.values.get(municipality, MappingProxyType({}))

    def guides_of(self, municipality: str) -> Mapping[str, Guide]:
        return self._snapshot.guides.get(municipality, MappingProxyType({}))

    def replace(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot


def to_values(published: Mapping[str, Mapping[str, Scalar]], variables: Mapping[str, Variable]) -> dict[str, dict[str, Value]]:
    """Published values checked against today's declarations; one that no longer fits is left out (and logged)."""
    checked: dict[str, dict[str, Value]] = {}
    for slug, named in published.items():
        for name, raw in named.items():
            variable = variables.get(name)
            if variable is None:
                logger.warning("A published value for an undeclared variable is ignored: %s %s", slug, name)
                continue
            try:
                checked.setdefault(slug, {})[name] = Value(variable.check(raw))
            except InvalidValue as error:
                logger.warning("A published value no longer fits its type and is ignored: %s %s: %s", slug, name, error)
    return checked


def to_guides(
    published: Mapping[str, Mapping[str, tuple[str, list[str]]]], variables: Mapping[str, Variable]
) -> dict[str, dict[str, Guide]]:
    """Published guides checked like the guide files; one that no longer loads is left out (and logged)."""
    checked: dict[str, dict[str, Guide]] = {}
    for slug, topics in published.items():
        for topic, (title, lines) in topics.items():
            try:
                checked.setdefault(slug, {})[topic] = parse_guide(
                    {"title": title, "lines": lines}, topic, variables, f"{slug}/{topic}", english_required=False
                )
            except KnowledgeDataError as error:
                logger.warning("A published guide no longer loads and is ignored: %s", error)
    return checked


class Follower:
    """Keeps a PublishedValues up to date with the store: one cheap version read per poll."""

    def __init__(self, store: LocalValueStore, target: PublishedValues, variables: Mapping[str, Variable]) -> None:
        self._store, self._target, self._variables = store, target, variables

    async def refresh(self) -> bool:
        """Reload if the version moved; whether it did."""
        version = await self._store.version()
        if version == self._target.version:
            return False
        values = to_values(await self._store.published(), self._variables)
        guides = to_guides(await self._store.guides(), self._variables)
        self._target.replace(
            Snapshot(
                version,
                MappingProxyType({k: MappingProxyType(v) for k, v in values.items()}),
                MappingProxyType({k: MappingProxyType(v) for k, v in guides.items()}),
            )
        )
        logger.info("Published local values reloaded: version %d", version)
        return True

    async def run(self, every_s: float, stopped: asyncio.Event | None = None) -> None:
        """Refresh now and then every `every_s` seconds until cancelled or `stopped` is set; a failed poll is retried.

        `stopped` ends it between two polls, never inside one (a query cancelled halfway leaves
        its connection to be torn down by the pool, noisily at a server's shutdown).
        """
        stopped = asyncio.Event() if stopped is None else stopped
        while not stopped.is_set():
            try:
                await self.refresh()
            except Exception:  # the database may be down or not yet migrated: keep the last values
                logger.exception("Could not read the published local values; trying again in %.0f s", every_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), every_s)



__all__ = ["Follower", "PublishedValues", "Scalar", "Snapshot", "to_guides", "to_values"]
