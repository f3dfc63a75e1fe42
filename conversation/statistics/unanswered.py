"""The unanswered questions work list: the redacted questions that got a fallback, grouped by similarity.

Grouping needs the embedding model, which the gateway does not load: `muni stats unanswered`
(ops/unanswered.py) finds new questions, groups them and stores the groups here; the console
only reads them and marks a group handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import conversations, turns
from muni.clock import from_db, to_utc

metadata = MetaData()

# One row per question that got a fallback; `group_id` is the id of the group's first question.
unanswered_questions = Table(
    "unanswered_questions",
    metadata,
    Column("turn_id", Integer, primary_key=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("text", Text, nullable=False),  # the citizen's turn as stored: redacted
    Column("group_id", Integer, nullable=False, index=True),
    Column("topic", String(64), nullable=True),  # the topic the group most likely belongs to
    Column("handled_at", DateTime(timezone=True), nullable=True),
    Column("handled_by", Integer, nullable=True),  # the console user (admin_users.id)
)


@dataclass(frozen=True)
class Question:
    turn_id: int
    municipality: str
    asked_at: datetime
    text: str


@dataclass(frozen=True)
class Group:
    group_id: int
    example: str
    count: int
    topic: str | None
    last_asked: datetime


class UnansweredQuestions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def new_questions(self, limit: int = 5000) -> list[Question]:
        """Citizens' turns answered by a fallback that are not on the list yet, oldest first."""
        answer = turns.alias("answer")
        following = (
            select(answer.c.source)
            .where(answer.c.conversation_id == turns.c.conversation_id, answer.c.id > turns.c.id, answer.c.role == "bot")
            .order_by(answer.c.id)
            .limit(1)
            .scalar_subquery()
        )
        known = select(unanswered_questions.c.turn_id)
        query = (
            select(turns.c.id, conversations.c.municipality, turns.c.at, turns.c.text)
            .join(conversations, conversations.c.id == turns.c.conversation_id)
            .where(turns.c.role == "citizen", ~turns.c.text.startswith("/"), following == "fallback", turns.c.id.not_in(known))
            .order_by(turns.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [Question(row[0], row[1], from_db(row[2]), row[3]) for row in rows]

    async def groups_of(self, municipality: str) -> list[tuple[int, str | None]]:
        """The municipality's open groups (id, topic), for the job to add new questions to."""
        query = (
            select(unanswered_questions.c.group_id, func.max(unanswered_questions.c.topic))
            .where(unanswered_questions.c.municipality == municipality, unanswered_questions.c.handled_at.is_(None))
            .group_by(unanswered_questions.c.group_id)
        )
        async with self._engine.connect() as connection:
            return [(row[0], row[1]) for row in (await connection.execute(query)).all()]

    async def add(self, question: Question, group_id: int, topic: str | None) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                unanswered_questions.insert().values(
                    turn_id=question.turn_id,
                    municipality=question.municipality,
                    asked_at=to_utc(question.asked_at),
                    text=question.text,
                    group_id=group_id,
                    topic=topic,
                )  # fmt: skip
            )

    async def texts(self, group_id: int) -> list[str]:
        query = select(unanswered_questions.c.text).where(unanswered_questions.c.group_id == group_id)
        async with self._engine.connect() as connection:
            return [row[0] for row in (await connection.execute(query)).all()]

    async def work_list(self, municipality: str) -> list[Group]:
        """The open groups, the most asked first."""
        q = unanswered_questions.c
        query = (
            select(q.group_id, func.count(), func.max(q.topic), func.max(q.asked_at))
            .where(q.municipality == municipality, q.handled_at.is_(None))
            .group_by(q.group_id)
            .order_by(func.count().desc(), q.group_id)
        )
        examples = select(q.turn_id, q.text).where(q.municipality == municipality, q.turn_id == q.group_id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
            first = dict((await connection.execute(examples)).all())
        return [Group(row[0], first.get(row[0], ""), row[1], row[2], from_db(row[3])) for row in rows]

    async def mark_handled(self, municipality: str, group_id: int, user_id: int, at: datetime) -> int:
        """Close a group of the municipality; the number of questions it held (0: not its group, or done)."""
        q = unanswered_questions.c
        statement = (
            update(unanswered_questions)
            .where(and_(q.municipality == municipality, q.group_id == group_id, q.handled_at.is_(None)))
            .values(handled_at=to_utc(at), handled_by=user_id)
        )
        async with self._engine.begin() as connection:
            return int((await connection.execute(statement)).rowcount)
