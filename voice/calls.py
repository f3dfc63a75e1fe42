"""Per-call records for statistics (redacted: no caller number, only a keyed hash after a survey)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import rating_comment
from muni.clock import from_db, to_utc
from muni.db import upsert

# Twilio's call statuses in the order a call goes through them; the final ones share a rank.
STATUS_RANK = {"queued": 1, "initiated": 1, "ringing": 2, "in-progress": 3, "answered": 3}
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
FINAL_RANK = 9
SURVEY_WINDOW = timedelta(days=3)

metadata = MetaData()

voice_calls = Table(
    "voice_calls",
    metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("conversation_id", String(36), nullable=True),
    Column("status", String(16), nullable=False, default="in-progress"),
    Column("status_rank", Integer, nullable=False, default=0),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("duration_s", Integer, nullable=True),
    Column("choices", Text, nullable=False, default="[]"),
    Column("topics", Text, nullable=False, default="[]"),
    Column("keypad", Text, nullable=False, default="{}"),
    Column("assistant_turns", Integer, nullable=False, default=0),
    Column("handoff", Boolean, nullable=False, default=False),
    Column("transferred", Boolean, nullable=False, default=False),
    Column("survey_sent_at", DateTime(timezone=True), nullable=True),
    Column("caller_hash", String(64), nullable=True, index=True),
    Column("survey_score", Integer, nullable=True),
    # For the console's statistics (revision 0005_stats): the centre's hours when the call came in,
    # when the caller chose a person and was put through, and when the survey was answered.
    Column("in_hours", Boolean, nullable=True),
    Column("agent_chosen_at", DateTime(timezone=True), nullable=True),
    Column("transferred_at", DateTime(timezone=True), nullable=True),
    Column("agent_answered_at", DateTime(timezone=True), nullable=True),  # the whisper: a person picked up
    Column("survey_answered_at", DateTime(timezone=True), nullable=True, index=True),
    Column("survey_comment", Text, nullable=True),  # the words after the score in the reply, redacted (0006_stats2)
)


@dataclass(frozen=True)
class CallRecord:
    call_sid: str
    municipality: str
    started_at: datetime
    conversation_id: str | None
    status: str
    duration_s: int | None
    choices: list[str]
    topics: list[str]
    keypad: dict[str, str]
    assistant_turns: int
    handoff: bool
    transferred: bool
    survey_sent_at: datetime | None
    survey_score: int | None

    @property
    def last_topic(self) -> str | None:
        return self.topics[-1] if self.topics else None


@dataclass(frozen=True)
class CallStatistics:
    """One municipality's calls in a period, for its staff."""

    calls: int
    with_assistant: int
    transferred: int
    surveys_sent: int
    survey_answers: int
    mean_score: float | None
    mean_duration_s: float | None


class CallLog:
    def __init__(self, engine: AsyncEngine) -> None:
        """The call log on the process's one engine (its table comes from conversation/migrations)."""
        self._engine = engine

    async def start(self, call_sid: str, municipality: str, at: datetime, in_hours: bool | None = None) -> None:
        """Create the call's record; a repeated webhook (Twilio retries) changes nothing."""
        values = {
            "call_sid": call_sid,
            "municipality": municipality,
            "started_at": to_utc(at),
            "status": "in-progress",
            "in_hours": in_hours,
        }
        await upsert(self._engine, voice_calls, values, keys=["call_sid"])

    async def get(self, call_sid: str) -> CallRecord | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(voice_calls).where(voice_calls.c.call_sid == call_sid))).first()
        return None if row is None else _record(row._mapping)

    async def set_conversation(self, call_sid: str, conversation_id: str) -> None:
        await self._update(call_sid, conversation_id=conversation_id)

    async def add_choice(self, call_sid: str, choice: str, at: datetime | None = None) -> None:
        """Add a menu choice; the first choice of an agent at `at` starts the wait for a person."""
        record = await self.get(call_sid)
        if record is None:
            return
        values: dict[str, Any] = {"choices": json.dumps([*record.choices, choice])}
        if choice == "agent" and at is not None and "agent" not in record.choices:
            values["agent_chosen_at"] = to_utc(at)
        await self._update(call_sid, **values)

    async def record_turn(self, call_sid: str, topic: str | None, handoff: bool, keypad: dict[str, str]) -> None:
        record = await self.get(call_sid)
        if record is None:
            return
        topics = record.topics if topic is None or topic in record.topics[-1:] else [*record.topics, topic]
        await self._update(
            call_sid,
            assistant_turns=record.assistant_turns + 1,
            topics=json.dumps(topics),
            handoff=record.handoff or handoff,
            keypad=json.dumps(keypad),
        )

    async def mark_transferred(self, call_sid: str, at: datetime | None = None) -> None:
        values: dict[str, Any] = {"transferred": True, "handoff": True}
        if at is not None:
            values["transferred_at"] = to_utc(at)
        await self._update(call_sid, **values)

    async def mark_answered(self, call_sid: str, at: datetime) -> None:
        """A person picked up the transferred call (the first time counts)."""
        statement = (
            update(voice_calls)
            .where(voice_calls.c.call_sid == call_sid, voice_calls.c.agent_answered_at.is_(None))
            .values(agent_answered_at=to_utc(at))
        )
        async with self._engine.begin() as connection:
            await connection.execute(statement)

    async def update_status(self, call_sid: str, status: str, at: datetime, duration_s: int | None) -> bool:
        """Apply a status callback only if it moves the call forward; True when it just ended."""
        rank = FINAL_RANK if status in FINAL_STATUSES else STATUS_RANK.get(status, 0)
        values: dict[str, Any] = {"status": status, "status_rank": rank}
        if rank == FINAL_RANK:
            values.update(ended_at=to_utc(at), duration_s=duration_s)
        statement = (
            update(voice_calls)
            .where(voice_calls.c.call_sid == call_sid, voice_calls.c.status_rank < rank)
            .values(**values)
        )
        async with self._engine.begin() as connection:
            result = await connection.execute(statement)
        return rank == FINAL_RANK and result.rowcount == 1

    async def claim_survey(self, call_sid: str, caller_hash: str, at: datetime) -> bool:
        """Mark the survey as sent, once, for a call the assistant handled and nobody took over."""
        statement = (
            update(voice_calls)
            .where(
                voice_calls.c.call_sid == call_sid,
                voice_calls.c.survey_sent_at.is_(None),
                voice_calls.c.transferred.is_(False),
                voice_calls.c.assistant_turns > 0,
            )
            .values(survey_sent_at=to_utc(at), caller_hash=caller_hash)
        )
        async with self._engine.begin() as connection:
            return (await connection.execute(statement)).rowcount == 1

    async def open_survey(self, caller_hash: str, at: datetime) -> str | None:
        """The call of the latest survey sent to this caller and not yet answered, or None."""
        async with self._engine.connect() as connection:
            call_sid = (await connection.execute(_open_survey(caller_hash, at))).scalar()
        return None if call_sid is None else str(call_sid)

    async def record_survey(self, caller_hash: str, score: int, at: datetime, comment: str | None = None) -> str | None:
        """Store the first answer (its comment redacted) to the latest open survey sent to this caller; the call's sid or None."""
        async with self._engine.begin() as connection:
            call_sid = (await connection.execute(_open_survey(caller_hash, at))).scalar()
            if call_sid is None:
                return None
            await connection.execute(
                update(voice_calls)
                .where(voice_calls.c.call_sid == call_sid, voice_calls.c.survey_score.is_(None))
                .values(survey_score=score, survey_answered_at=to_utc(at), survey_comment=rating_comment(comment))
            )
        return str(call_sid)

    async def statistics(self, municipality: str, since: datetime, until: datetime) -> CallStatistics:
        """Counts over the calls that started in [since, until)."""
        c = voice_calls.c
        query = select(
            func.count(),
            func.count().filter(c.assistant_turns > 0),
            func.count().filter(c.transferred.is_(True)),
            func.count(c.survey_sent_at),
            func.count(c.survey_score),
            func.avg(c.survey_score),
            func.avg(c.duration_s),
        ).where(c.municipality == municipality, c.started_at >= to_utc(since), c.started_at < to_utc(until))
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).one()
        return CallStatistics(
            calls=row[0],
            with_assistant=row[1],
            transferred=row[2],
            surveys_sent=row[3],
            survey_answers=row[4],
            mean_score=None if row[5] is None else float(row[5]),
            mean_duration_s=None if row[6] is None else float(row[6]),
        )

    async def _update(self, call_sid: str, **values: Any) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(update(voice_calls).where(voice_calls.c.call_sid == call_sid).values(**values))


def _open_survey(caller_hash: str, at: datetime) -> Select[tuple[str]]:
    return (
        select(voice_calls.c.call_sid)
        .where(
            voice_calls.c.caller_hash == caller_hash,
            voice_calls.c.survey_score.is_(None),
            voice_calls.c.survey_sent_at > to_utc(at) - SURVEY_WINDOW,
        )
        .order_by(voice_calls.c.survey_sent_at.desc())
        .limit(1)
    )


def _record(row: Any) -> CallRecord:
    return CallRecord(
        call_sid=row["call_sid"],
        municipality=row["municipality"],
        started_at=from_db(row["started_at"]),
        conversation_id=row["conversation_id"],
        status=row["status"],
        duration_s=row["duration_s"],
        choices=json.loads(row["choices"]),
        topics=json.loads(row["topics"]),
        keypad=json.loads(row["keypad"]),
        assistant_turns=row["assistant_turns"],
        handoff=row["handoff"],
        transferred=row["transferred"],
        survey_sent_at=None if row["survey_sent_at"] is None else from_db(row["survey_sent_at"]),
        survey_score=row["survey_score"],
    )
