"""Conversations for the console's transcripts: a filtered, searchable list and one conversation's turns.

Citizens' turns are stored redacted; they are redacted once more on the way out, so a pattern
added to muni.privacy later also covers what was stored before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import conversations, ratings, turns
from conversation.statistics.aggregate import calls_table, day_bounds
from conversation.statistics.definition import HandoffReason, Turn, classify
from conversation.statistics.search import matching_conversations
from muni.clock import from_db
from muni.privacy import redact

PAGE = 50


@dataclass(frozen=True)
class Summary:
    id: str
    started_at: datetime
    channel: str
    topic: str
    turns: int
    resolved: bool
    handoff_reason: HandoffReason | None
    rating: int | None


@dataclass(frozen=True)
class Transcript:
    summary: Summary
    turns: list[Turn]
    comment: str | None = None  # the rating's free text (widget or SMS survey), redacted


class Transcripts:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def listing(
        self,
        municipality: str,
        first: date,
        last: date,
        *,
        channel: str | None = None,
        topic: str | None = None,
        query: str = "",
        offset: int = 0,
    ) -> list[Summary]:
        """The municipality's conversations begun in [first, last], newest first, PAGE at a time."""
        start, end = day_bounds(first)[0], day_bounds(last)[1]
        c = conversations.c
        where: list[Any] = [c.municipality == municipality, c.started_at >= start, c.started_at < end]
        if channel is not None:
            where.append(c.channel == channel)
        if topic is not None:
            where.append(c.topic == topic)
        if (search := matching_conversations(self._engine, query)) is not None:
            where.append(search)
        statement = select(conversations).where(and_(*where)).order_by(c.started_at.desc(), c.id).limit(PAGE)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement.offset(max(0, offset)))).all()
        return [(await self._read(row, with_turns=False)).summary for row in rows]

    async def transcript(self, municipality: str, conversation_id: str) -> Transcript | None:
        """One conversation of the municipality with every turn; None for another municipality's or none."""
        statement = select(conversations).where(
            conversations.c.id == conversation_id, conversations.c.municipality == municipality
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement)).first()
        return None if row is None else await self._read(row, with_turns=True)

    async def _read(self, row: Any, *, with_turns: bool) -> Transcript:
        query = select(turns).where(turns.c.conversation_id == row.id).order_by(turns.c.id)
        web_rating = select(ratings.c.score, ratings.c.comment).where(ratings.c.conversation_id == row.id)
        phone_rating = (
            select(calls_table.c.survey_score, calls_table.c.survey_comment)
            .where(calls_table.c.conversation_id == row.id, calls_table.c.survey_score.is_not(None))
            .order_by(calls_table.c.survey_answered_at.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            recorded = [
                Turn(from_db(t.at), t.role, redact(t.text) if t.role == "citizen" else t.text, t.topic, t.source, bool(t.handoff))
                for t in (await connection.execute(query)).all()
            ]
            rated = (await connection.execute(web_rating)).first() or (await connection.execute(phone_rating)).first()
        rating, comment = (None, None) if rated is None else (rated[0], rated[1])
        outcome = classify(row.topic, recorded)
        summary = Summary(
            id=row.id,
            started_at=from_db(row.started_at),
            channel=row.channel,
            topic=outcome.topic,
            turns=len(recorded),
            resolved=outcome.resolved,
            handoff_reason=outcome.handoff_reason,
            rating=rating,
        )
        # Redacted when stored, and once more on the way out (as the citizen's turns are).
        return Transcript(summary, recorded if with_turns else [], None if comment is None else redact(comment))
