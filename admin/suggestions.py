"""Suggested values from the municipality's crawled website: stored per municipality, accepted or rejected by an editor.

`muni suggest` (after every crawl started in the console, and in the scheduled re-sync) refreshes a
municipality's suggestions from its crawl store; the content page shows the open ones beside their
variable. Accepting one only fills the editor's form ("the draft"): the value is published, as any
other, when the editor presses Offentliggør. A rejected suggestion stays stored, so the next refresh
does not offer it again. Tables made by revision 0006_suggest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    select,
    update,
)  # fmt: skip
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge import GuideLibrary
from knowledge.index.records import StoredPage
from knowledge.kinds import Scalar
from knowledge.suggestions import Suggestion, find_suggestions
from muni.clock import from_db, to_utc

metadata = MetaData()

suggestions = Table(
    "content_suggestions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("variable", String(64), nullable=False),
    Column("value", Text, nullable=False),  # JSON, in the kind's normal form (as local_values.value)
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("snippet", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("found_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),  # open, accepted, rejected
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", Integer, nullable=True),  # the console user's id
    UniqueConstraint("municipality", "variable", "value", name="uq_content_suggestions_value"),
)


class State:
    OPEN = "open"
    ACCEPTED = "accepted"  # put into the editor's form; published only if the editor publishes it
    REJECTED = "rejected"  # never shown again


@dataclass(frozen=True)
class StoredSuggestion:
    id: int
    municipality: str
    variable: str
    value: Scalar
    url: str
    title: str
    snippet: str
    score: float
    found_at: datetime
    state: str


@dataclass(frozen=True)
class Refreshed:
    found: int
    new: int
    dropped: int  # open suggestions the website no longer states


def _dump(value: Scalar) -> str:
    return json.dumps(value, ensure_ascii=False)


class SuggestionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def refresh(self, municipality: str, found: Iterable[Suggestion], at: datetime) -> Refreshed:
        """Store what the website states now: new ones open, known ones updated (state kept), vanished open ones dropped."""
        found = [s for s in found if s.municipality == municipality]
        async with self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(suggestions.c.id, suggestions.c.variable, suggestions.c.value, suggestions.c.state).where(
                        suggestions.c.municipality == municipality
                    )
                )
            ).all()
            known = {(variable, value): (row_id, state) for row_id, variable, value, state in rows}
            seen: set[int] = set()
            new = 0
            for suggestion in found:
                fields = {
                    "url": suggestion.url,
                    "title": suggestion.title[:500],
                    "snippet": suggestion.snippet,
                    "score": suggestion.score,
                    "found_at": to_utc(at),
                }
                existing = known.get((suggestion.variable, _dump(suggestion.value)))
                if existing is None:
                    await connection.execute(
                        suggestions.insert().values(
                            municipality=municipality, variable=suggestion.variable, value=_dump(suggestion.value),
                            state=State.OPEN, **fields,
                        )  # fmt: skip
                    )
                    new += 1
                else:
                    seen.add(existing[0])
                    await connection.execute(update(suggestions).where(suggestions.c.id == existing[0]).values(**fields))
            vanished = [row_id for row_id, state in known.values() if state == State.OPEN and row_id not in seen]
            if vanished:
                await connection.execute(delete(suggestions).where(suggestions.c.id.in_(vanished)))
        return Refreshed(found=len(found), new=new, dropped=len(vanished))

    async def shown(self, municipality: str) -> dict[str, list[StoredSuggestion]]:
        """variable -> the suggestions not rejected, best first."""
        query = (
            select(suggestions)
            .where((suggestions.c.municipality == municipality) & (suggestions.c.state != State.REJECTED))
            .order_by(suggestions.c.variable, suggestions.c.score.desc(), suggestions.c.id)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        found: dict[str, list[StoredSuggestion]] = {}
        for row in rows:
            found.setdefault(row["variable"], []).append(_suggestion(row))
        return found

    async def get(self, suggestion_id: int) -> StoredSuggestion | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(suggestions).where(suggestions.c.id == suggestion_id))).mappings().first()
        return None if row is None else _suggestion(row)

    async def decide(self, suggestion_id: int, state: str, at: datetime, *, actor_id: int | None) -> bool:
        """Mark a suggestion accepted or rejected; False when it is already rejected (or gone)."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(suggestions)
                .where((suggestions.c.id == suggestion_id) & (suggestions.c.state != State.REJECTED))
                .values(state=state, decided_at=to_utc(at), decided_by=actor_id)
            )
        return bool(result.rowcount)


def _suggestion(row: RowMapping) -> StoredSuggestion:
    value = json.loads(row["value"])
    return StoredSuggestion(
        id=int(row["id"]), municipality=row["municipality"], variable=row["variable"], value=value, url=row["url"],
        title=row["title"], snippet=row["snippet"], score=float(row["score"]), found_at=from_db(row["found_at"]),
        state=row["state"],
    )  # fmt: skip


def suggest(library: GuideLibrary, municipality: str, pages: Iterable[StoredPage]) -> list[Suggestion]:
    """The suggestions for `municipality`'s local variables from its pages, with the topics that use each variable."""
    local = [v for v in library.variables.values() if v.scope == "local"]
    topic_titles: dict[str, list[str]] = {}
    for topic in library.topics.values():
        if library.has_guide(topic.id, municipality):
            for name in library.guide(topic.id, municipality).variables():
                topic_titles.setdefault(name, []).append(topic.title)
    return find_suggestions(municipality, pages, local, topic_titles)
