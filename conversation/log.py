"""The conversation log: conversations, their turns, and the knowledge gaps bots report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from muni.clock import from_db, to_utc
from muni.db import EXCLUDED, insert, upsert
from muni.languages import DEFAULT_LANGUAGE
from muni.privacy import redact

Role = Literal["citizen", "bot"]
MAX_PAYLOAD_CHARS = 512
MAX_COMMENT_CHARS = 500  # a rating's free-text comment (the widget's field has the same maxlength)

metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("topic", String(64), nullable=True),
    # The language the citizen writes in (safety.language, or chosen in the widget); revision 0004.
    Column("language", String(8), nullable=False, server_default=DEFAULT_LANGUAGE),
)

turns = Table(
    "turns",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("role", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("topic", String(64), nullable=True),
    Column("source", String(16), nullable=True),
    Column("handoff", Boolean, nullable=False, default=False),
    Column("latency_ms", Integer, nullable=True),
)

knowledge_gaps = Table(
    "knowledge_gaps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("municipality", String(64), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("variable", String(128), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
    UniqueConstraint("municipality", "topic", "variable", name="uq_knowledge_gap"),
)


# The button payloads the bot offered in a conversation: the chat API accepts a payload only if
# it is here (or one of the few every conversation may send), never an intent the citizen made up.
offered_payloads = Table(
    "offered_payloads",
    metadata,
    Column("conversation_id", String(36), ForeignKey("conversations.id"), primary_key=True),
    Column("payload", String(MAX_PAYLOAD_CHARS), primary_key=True),
)

# One rating per conversation, on the contact centre's 1-9 scale; a new rating replaces the old.
ratings = Table(
    "ratings",
    metadata,
    Column("conversation_id", String(36), ForeignKey("conversations.id"), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),  # today's figures read a day's ratings
    Column("comment", Text, nullable=True),  # the citizen's words with the score, redacted (revision 0006_stats2)
)


def rating_comment(text: str | None) -> str | None:
    """A rating's comment as stored: redacted, trimmed, at most MAX_COMMENT_CHARS; None when empty."""
    if text is None:
        return None
    cleaned = redact(" ".join(text.split()))[:MAX_COMMENT_CHARS].strip()
    return cleaned or None


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    municipality: str
    channel: str
    started_at: datetime
    topic: str | None = None
    last_turn_at: datetime | None = None  # None before the first turn is recorded
    language: str = DEFAULT_LANGUAGE

    @property
    def last_active_at(self) -> datetime:
        """When the conversation last moved: its last turn, or its start."""
        return self.last_turn_at if self.last_turn_at is not None else self.started_at


@dataclass(frozen=True)
class TurnRecord:
    conversation_id: str
    at: datetime
    role: Role
    text: str
    topic: str | None = None
    source: str | None = None
    handoff: bool = False
    latency_ms: int | None = None


@dataclass(frozen=True)
class KnowledgeGap:
    municipality: str
    topic: str
    variable: str
    first_seen: datetime
    last_seen: datetime
    count: int


class ConversationLog:
    """Async access to the log, on the process's one engine (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        """The log on `engine`, whose schema `conversation.schema.upgrade_database` made."""
        self._engine = engine

    async def ping(self) -> None:
        """Raise if the database does not answer `SELECT 1`."""
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def start_conversation(self, conversation: ConversationRecord) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                conversations.insert().values(
                    id=conversation.id,
                    municipality=conversation.municipality,
                    channel=conversation.channel,
                    started_at=to_utc(conversation.started_at),
                    topic=conversation.topic,
                    language=conversation.language,
                )
            )

    async def set_language(self, conversation_id: str, language: str) -> None:
        """Keep the language the citizen now writes in for the rest of the conversation."""
        async with self._engine.begin() as connection:
            await connection.execute(
                conversations.update().where(conversations.c.id == conversation_id).values(language=language)
            )

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        last_turn = (
            select(func.max(turns.c.at)).where(turns.c.conversation_id == conversations.c.id).scalar_subquery()
        )
        query = select(conversations, last_turn.label("last_turn_at")).where(conversations.c.id == conversation_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        return ConversationRecord(
            id=row.id,
            municipality=row.municipality,
            channel=row.channel,
            started_at=from_db(row.started_at),
            topic=row.topic,
            last_turn_at=None if row.last_turn_at is None else from_db(row.last_turn_at),
            language=row.language or DEFAULT_LANGUAGE,
        )

    async def add_turns(self, records: Sequence[TurnRecord], offered: Sequence[str] = ()) -> None:
        """Append turns, and the button payloads the bot offered with them, in one transaction.

        Citizens' text is redacted again on the way in. Bot turns are kept as said:
        they carry public contact details (the contact centre's phone) and never a
        citizen's, since Rasa only ever sees redacted text.
        """
        if not records:
            return
        payloads = sorted({p for p in offered if len(p) <= MAX_PAYLOAD_CHARS})
        async with self._engine.begin() as connection:
            if payloads:
                conversation_id = records[0].conversation_id
                statement: Any = insert(self._engine, offered_payloads).values(
                    [{"conversation_id": conversation_id, "payload": p} for p in payloads]
                )
                await connection.execute(statement.on_conflict_do_nothing())
            await connection.execute(
                turns.insert(),
                [
                    {
                        "conversation_id": r.conversation_id,
                        "at": to_utc(r.at),
                        "role": r.role,
                        "text": redact(r.text) if r.role == "citizen" else r.text,
                        "topic": r.topic,
                        "source": r.source,
                        "handoff": r.handoff,
                        "latency_ms": r.latency_ms,
                    }
                    for r in records
                ],
            )

    async def was_offered(self, conversation_id: str, payload: str) -> bool:
        """Whether the bot offered a button with this payload in the conversation."""
        query = select(offered_payloads.c.payload).where(
            offered_payloads.c.conversation_id == conversation_id, offered_payloads.c.payload == payload
        )
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def turns(self, conversation_id: str) -> list[TurnRecord]:
        """The conversation's turns in the order they were recorded."""
        query = select(turns).where(turns.c.conversation_id == conversation_id).order_by(turns.c.id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            TurnRecord(
                conversation_id=row.conversation_id,
                at=from_db(row.at),
                role=row.role,
                text=row.text,
                topic=row.topic,
                source=row.source,
                handoff=row.handoff,
                latency_ms=row.latency_ms,
            )
            for row in rows
        ]

    async def record_rating(self, conversation_id: str, score: int, at: datetime, comment: str | None = None) -> None:
        """Keep the citizen's rating (1-9) of a conversation, and any comment redacted; a second rating replaces the first."""
        if not 1 <= score <= 9:
            raise ValueError("a rating is 1-9")
        await upsert(
            self._engine,
            ratings,
            {"conversation_id": conversation_id, "score": score, "at": to_utc(at), "comment": rating_comment(comment)},
            keys=["conversation_id"],
            update={"score": EXCLUDED, "at": EXCLUDED, "comment": EXCLUDED},
        )

    async def rating(self, conversation_id: str) -> int | None:
        async with self._engine.connect() as connection:
            query = select(ratings.c.score).where(ratings.c.conversation_id == conversation_id)
            return (await connection.execute(query)).scalar_one_or_none()

    async def record_gap(self, municipality: str, topic: str, variable: str, at: datetime) -> None:
        """Count one more time that a municipality lacked a local variable."""
        await upsert(
            self._engine,
            knowledge_gaps,
            {
                "municipality": municipality,
                "topic": topic,
                "variable": variable,
                "first_seen": to_utc(at),
                "last_seen": to_utc(at),
                "count": 1,
            },
            keys=["municipality", "topic", "variable"],
            update={"last_seen": EXCLUDED, "count": knowledge_gaps.c.count + 1},
        )

    async def knowledge_gaps(self, municipality: str) -> list[KnowledgeGap]:
        """The municipality's gaps, most frequent first."""
        query = (
            select(knowledge_gaps)
            .where(knowledge_gaps.c.municipality == municipality)
            .order_by(knowledge_gaps.c.count.desc(), knowledge_gaps.c.topic, knowledge_gaps.c.variable)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        # By mapping: a Row is a tuple, and `row.count` would name tuple.count for type checkers.
        return [
            KnowledgeGap(
                municipality=row["municipality"],
                topic=row["topic"],
                variable=row["variable"],
                first_seen=from_db(row["first_seen"]),
                last_seen=from_db(row["last_seen"]),
                count=row["count"],
            )
            for row in (r._mapping for r in rows)
        ]
