"""The daily aggregates, computed incrementally: each closed day once, today (and any open day) live.

Why a job over closed days rather than counting at each conversation's end: a web conversation
never says it has ended (the citizen just leaves), ratings and the phone survey arrive later, and
counting from the recorded turns once a day is over gives the same figures however often the job
runs. A day is aggregated once (`stats_days`), so texts deleted later by retention change nothing;
the days not yet aggregated are computed from the raw tables on the same rule when asked for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, String, Table, and_, column, delete, func, select, table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conversation.log import conversations, ratings, turns
from conversation.statistics.definition import Outcome, Turn, classify
from conversation.statistics.tables import (
    COUNTERS,
    VOICE_COUNTERS,
    stats_channel_daily,
    stats_daily,
    stats_days,
    stats_voice_daily,
)
from muni.clock import from_db, to_utc

DANISH = ZoneInfo("Europe/Copenhagen")
CLOSE_AFTER = timedelta(hours=1)  # a conversation begun just before midnight has an hour to finish
AGENT_TARGET_S = 60

# The phone line's and the SMS links' tables belong to voice/ and web/ (which import this package's
# layer, not the other way round): the job reads the columns it needs by name.
calls_table = table(
    "voice_calls",
    column("call_sid", String),
    column("municipality", String),
    column("started_at", DateTime(timezone=True)),
    column("conversation_id", String),
    column("status_rank", Integer),
    column("choices", String),
    column("transferred", Integer),
    column("in_hours", Integer),
    column("agent_chosen_at", DateTime(timezone=True)),
    column("transferred_at", DateTime(timezone=True)),
    column("agent_answered_at", DateTime(timezone=True)),
    column("survey_score", Integer),
    column("survey_answered_at", DateTime(timezone=True)),
    column("survey_comment", String),
)
_sms_links = table(
    "sms_links",
    column("municipality", String),
    column("topic", String),
    column("created_at", DateTime(timezone=True)),
    column("status", String),
)
FINAL_RANK = 9  # voice/calls.py: a call with a final status


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Danish day as a UTC interval [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=DANISH)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=DANISH)
    return start.astimezone(UTC), end.astimezone(UTC)


def danish_day(moment: datetime) -> date:
    return from_db(moment).astimezone(DANISH).date()


def last_closed_day(now: datetime) -> date:
    """The latest Danish day the job may aggregate at `now`."""
    return danish_day(to_utc(now) - CLOSE_AFTER) - timedelta(days=1)


@dataclass
class DayFigures:
    """One day's rows, before they are stored: counters by (municipality, channel, topic) and by municipality."""

    day: date
    rows: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    voice: dict[str, dict[str, int]] = field(default_factory=dict)

    def row(self, municipality: str, channel: str, topic: str) -> dict[str, int]:
        return self.rows.setdefault((municipality, channel, topic[:64]), dict.fromkeys(COUNTERS, 0))

    def by_channel(self) -> dict[tuple[str, str], dict[str, int]]:
        """The rows summed over the topic: stats_channel_daily's rows for the day."""
        summed: dict[tuple[str, str], dict[str, int]] = {}
        for (municipality, channel, _topic), counts in self.rows.items():
            into = summed.setdefault((municipality, channel), dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                into[name] += counts[name]
        return summed

    def voice_row(self, municipality: str) -> dict[str, int]:
        return self.voice.setdefault(municipality, dict.fromkeys(VOICE_COUNTERS, 0))


@dataclass(frozen=True)
class DailyRow:
    day: date
    municipality: str
    channel: str
    topic: str
    counts: dict[str, int]


@dataclass(frozen=True)
class VoiceRow:
    day: date
    municipality: str
    counts: dict[str, int]


class Statistics:
    """Computes, stores and reads the daily aggregates on the process's one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def aggregate_closed_days(self, now: datetime) -> list[date]:
        """Aggregate every closed day not aggregated yet, from the first day with data; the days done."""
        last = last_closed_day(now)
        async with self._engine.begin() as connection:
            done = (await connection.execute(select(func.max(stats_days.c.day)))).scalar()
            first = done + timedelta(days=1) if done is not None else await _first_day(connection)
            if first is None or first > last:
                return []
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            for day in days:
                figures = await compute_day(connection, day)
                await store_day(connection, figures, now)
        return days

    async def daily(self, first: date, last: date, municipality: str | None = None) -> list[DailyRow]:
        """Rows per day, municipality, channel and topic in [first, last]: stored where aggregated, else live."""
        c = stats_daily.c
        async with self._engine.connect() as connection:
            done = (await connection.execute(select(func.max(stats_days.c.day)))).scalar()
            query = select(stats_daily).where(c.day >= first, c.day <= last)
            if municipality is not None:
                query = query.where(c.municipality == municipality)
            result = [
                DailyRow(r["day"], r["municipality"], r["channel"], r["topic"], {k: r[k] for k in COUNTERS})
                for r in (row._mapping for row in (await connection.execute(query)).all())
            ]
            live_from = await first_live_day(connection, first, done)
            for n in range((last - live_from).days + 1):
                figures = await compute_day(connection, live_from + timedelta(days=n))
                result.extend(
                    DailyRow(figures.day, m, ch, t, counts)
                    for (m, ch, t), counts in figures.rows.items()
                    if municipality is None or m == municipality
                )
        return sorted(result, key=lambda r: (r.day, r.municipality, r.channel, r.topic))

    async def summed(
        self,
        first: date,
        last: date,
        by: tuple[str, ...],
        municipality: str | None = None,
        channel: str | None = None,
    ) -> list[DailyRow]:
        """The counters summed in the database by `by` (of day, municipality, channel, topic); the rest left blank.

        Stored days are summed by SQL: from the roll-up without the topic (stats_channel_daily)
        unless `by` asks for the topic (a year for the consortium is some 50,000 rows there,
        ten times that in stats_daily); the few days not aggregated yet are computed live and added.
        """
        source = stats_daily if "topic" in by else stats_channel_daily
        c = source.c
        keys = [c[name] for name in by]
        own_rows = set(by) == {"day", "municipality", "channel"}  # the roll-up's rows as they are: nothing to sum
        async with self._engine.connect() as connection:
            done = (await connection.execute(select(func.max(stats_days.c.day)))).scalar()
            if own_rows:
                query = select(*keys, *(c[name] for name in COUNTERS))
            else:
                query = select(*keys, *(func.sum(c[name]).label(name) for name in COUNTERS))
            query = query.where(c.day >= first, c.day <= last)
            if municipality is not None:
                query = query.where(c.municipality == municipality)
            if channel is not None:
                query = query.where(c.channel == channel)
            if not own_rows:
                query = query.group_by(*keys)
            totals: dict[tuple[Any, ...], dict[str, int]] = {}
            width = len(by)
            for row in (await connection.execute(query)).all():
                totals[tuple(row[:width])] = dict(zip(COUNTERS, (int(v or 0) for v in row[width:]), strict=True))
            live_from = await first_live_day(connection, first, done)
            for n in range((last - live_from).days + 1):
                figures = await compute_day(connection, live_from + timedelta(days=n))
                for (m, ch, t), counts in figures.rows.items():
                    if (municipality is not None and m != municipality) or (channel is not None and ch != channel):
                        continue
                    values = {"day": figures.day, "municipality": m, "channel": ch, "topic": t}
                    key = tuple(values[name] for name in by)
                    into = totals.setdefault(key, dict.fromkeys(COUNTERS, 0))
                    for name in COUNTERS:
                        into[name] += counts[name]

        def part(key: tuple[Any, ...], name: str, blank: Any) -> Any:
            return key[by.index(name)] if name in by else blank

        rows = [
            DailyRow(part(k, "day", date.min), part(k, "municipality", ""), part(k, "channel", ""), part(k, "topic", ""), counts)
            for k, counts in totals.items()
        ]
        return sorted(rows, key=lambda r: (r.day, r.municipality, r.channel, r.topic))

    async def voice_summed(self, first: date, last: date) -> list[VoiceRow]:
        """The phone line's counters per municipality over [first, last] (day left blank): summed by SQL, live days added."""
        c = stats_voice_daily.c
        query = (
            select(c.municipality, *(func.sum(c[name]) for name in VOICE_COUNTERS))
            .where(c.day >= first, c.day <= last)
            .group_by(c.municipality)
        )
        async with self._engine.connect() as connection:
            done = (await connection.execute(select(func.max(stats_days.c.day)))).scalar()
            totals = {
                row[0]: dict(zip(VOICE_COUNTERS, (int(v or 0) for v in row[1:]), strict=True))
                for row in (await connection.execute(query)).all()
            }
            live_from = await first_live_day(connection, first, done)
            for n in range((last - live_from).days + 1):
                figures = await compute_day(connection, live_from + timedelta(days=n))
                for municipality, counts in figures.voice.items():
                    into = totals.setdefault(municipality, dict.fromkeys(VOICE_COUNTERS, 0))
                    for name in VOICE_COUNTERS:
                        into[name] += counts[name]
        return [VoiceRow(date.min, municipality, counts) for municipality, counts in sorted(totals.items())]

    async def voice_daily(self, first: date, last: date, municipality: str | None = None) -> list[VoiceRow]:
        """The phone line's rows per day and municipality in [first, last]: stored where aggregated, else live."""
        c = stats_voice_daily.c
        async with self._engine.connect() as connection:
            done = (await connection.execute(select(func.max(stats_days.c.day)))).scalar()
            query = select(stats_voice_daily).where(c.day >= first, c.day <= last)
            if municipality is not None:
                query = query.where(c.municipality == municipality)
            result = [
                VoiceRow(r["day"], r["municipality"], {k: r[k] for k in VOICE_COUNTERS})
                for r in (row._mapping for row in (await connection.execute(query)).all())
            ]
            live_from = await first_live_day(connection, first, done)
            for n in range((last - live_from).days + 1):
                figures = await compute_day(connection, live_from + timedelta(days=n))
                result.extend(
                    VoiceRow(figures.day, m, counts)
                    for m, counts in figures.voice.items()
                    if municipality is None or m == municipality
                )
        return sorted(result, key=lambda r: (r.day, r.municipality))


async def first_live_day(connection: AsyncConnection, first: date, done: date | None) -> date:
    """The first day in a range to compute live: after the last aggregated day, and not before any data."""
    if done is not None:
        return max(first, done + timedelta(days=1))
    data_from = await _first_day(connection)
    return date.max if data_from is None else max(first, data_from)  # no data: nothing to compute


async def _first_day(connection: AsyncConnection) -> date | None:
    firsts = [
        (await connection.execute(select(func.min(conversations.c.started_at)))).scalar(),
        (await connection.execute(select(func.min(calls_table.c.started_at)))).scalar(),
        (await connection.execute(select(func.min(_sms_links.c.created_at)))).scalar(),
    ]
    known = [danish_day(moment) for moment in firsts if moment is not None]
    return min(known) if known else None


async def compute_day(connection: AsyncConnection, day: date) -> DayFigures:
    """One Danish day's figures from the raw tables (RESOLVED_DEFINITION via `classify`)."""
    start, end = day_bounds(day)
    figures = DayFigures(day)
    begun = and_(conversations.c.started_at >= start, conversations.c.started_at < end)
    started = (await connection.execute(select(conversations).where(begun))).all()
    history = await _turns(connection, select(conversations.c.id).where(begun))
    topics: dict[str, tuple[str, str, str]] = {}
    for conversation in started:
        outcome = classify(conversation.topic, history.get(conversation.id, []))
        key = (conversation.municipality, conversation.channel, outcome.topic)
        topics[conversation.id] = key
        count_conversation(figures.row(*key), outcome)
    await _count_ratings(connection, figures, start, end, topics)
    sent = await connection.execute(
        select(_sms_links.c.municipality, _sms_links.c.topic, func.count())
        .where(_sms_links.c.created_at >= start, _sms_links.c.created_at < end, _sms_links.c.status != "failed")
        .group_by(_sms_links.c.municipality, _sms_links.c.topic)
    )
    for municipality, topic, count in sent.all():
        figures.row(municipality, "sms", topic)["sms_links_sent"] += count
    await _count_calls(connection, figures, start, end)
    return figures


async def _turns(connection: AsyncConnection, ids: Any) -> dict[str, list[Turn]]:
    query = (
        select(turns.c.conversation_id, turns.c.at, turns.c.role, turns.c.text, turns.c.topic, turns.c.source)
        .add_columns(turns.c.handoff)
        .where(turns.c.conversation_id.in_(ids))
        .order_by(turns.c.conversation_id, turns.c.id)
    )
    history: dict[str, list[Turn]] = defaultdict(list)
    for row in (await connection.execute(query)).all():
        history[row.conversation_id].append(Turn(row.at, row.role, row.text, row.topic, row.source, bool(row.handoff)))
    return history


async def _count_ratings(
    connection: AsyncConnection,
    figures: DayFigures,
    start: datetime,
    end: datetime,
    known: dict[str, tuple[str, str, str]],
) -> None:
    """Ratings on the day they were given: the widget's, and the phone survey's for the call's conversation."""
    web = select(ratings.c.conversation_id, ratings.c.score).where(ratings.c.at >= start, ratings.c.at < end)
    phone = select(calls_table.c.conversation_id, calls_table.c.survey_score).where(
        calls_table.c.survey_answered_at >= start,
        calls_table.c.survey_answered_at < end,
        calls_table.c.survey_score.is_not(None),
        calls_table.c.conversation_id.is_not(None),
    )
    given = [*(await connection.execute(web)).all(), *(await connection.execute(phone)).all()]
    unknown = sorted({conversation_id for conversation_id, _ in given} - known.keys())
    if unknown:
        rated = (await connection.execute(select(conversations).where(conversations.c.id.in_(unknown)))).all()
        history = await _turns(connection, unknown)
        for conversation in rated:
            topic = classify(conversation.topic, history.get(conversation.id, [])).topic
            known[conversation.id] = (conversation.municipality, conversation.channel, topic)
    for conversation_id, score in given:
        if conversation_id in known:
            count_rating(figures.row(*known[conversation_id]), score)


async def _count_calls(connection: AsyncConnection, figures: DayFigures, start: datetime, end: datetime) -> None:
    c = calls_table.c
    query = select(c.municipality, c.choices, c.transferred, c.in_hours, c.status_rank).add_columns(
        c.agent_chosen_at, c.transferred_at, c.agent_answered_at
    )
    for call in (await connection.execute(query.where(c.started_at >= start, c.started_at < end))).all():
        count_call(figures.voice_row(call.municipality), Call(*call))


# One conversation, rating or call into a row's counters: compute_day's rules, which
# bench/stats_history.py also follows when it aggregates a synthetic year in bulk.


def count_conversation(row: dict[str, int], outcome: Outcome) -> None:
    row["conversations"] += 1
    row["citizen_turns"] += outcome.citizen_turns
    row["resolved"] += outcome.resolved
    row["fallbacks"] += outcome.fallbacks
    row["bookings"] += outcome.bookings
    if outcome.handoff_reason is not None:
        row["handoffs"] += 1
        row[f"handoff_{outcome.handoff_reason}"] += 1


def count_rating(row: dict[str, int], score: int) -> None:
    if 1 <= score <= 9:
        row["ratings"] += 1
        row["rating_sum"] += score
        row[f"rating_{score}"] += 1


@dataclass(frozen=True)
class Call:
    """The columns of a voice_calls row the figures read."""

    municipality: str
    choices: str  # JSON, as voice/calls.py stores it
    transferred: bool
    in_hours: bool | None
    status_rank: int
    agent_chosen_at: datetime | None
    transferred_at: datetime | None
    agent_answered_at: datetime | None


def count_call(row: dict[str, int], call: Call) -> None:
    row["calls"] += 1
    row["chose_assistant"] += '"assistant"' in call.choices
    row["chose_agent"] += '"agent"' in call.choices
    row["transferred"] += bool(call.transferred)
    row["hung_up_in_menu"] += call.status_rank == FINAL_RANK and call.choices == "[]" and not call.transferred
    if call.in_hours is not None:
        row["in_hours" if call.in_hours else "outside_hours"] += 1
    chosen = call.agent_chosen_at or call.transferred_at
    if chosen is not None and call.agent_answered_at is not None:
        wait_s = max(0, round((from_db(call.agent_answered_at) - from_db(chosen)).total_seconds()))
        row["agent_waits"] += 1
        row["agent_wait_s_sum"] += wait_s
        row["agent_wait_within_60s"] += wait_s <= AGENT_TARGET_S


def stored_rows(figures: DayFigures) -> list[tuple[Table, list[dict[str, Any]]]]:
    """The rows one day's figures make in each aggregate table (store_day's, and the history generator's)."""
    day = figures.day
    topics = [{"day": day, "municipality": m, "channel": ch, "topic": t, **n} for (m, ch, t), n in figures.rows.items()]
    channels = [{"day": day, "municipality": m, "channel": ch, **n} for (m, ch), n in figures.by_channel().items()]
    calls = [{"day": day, "municipality": m, **n} for m, n in figures.voice.items()]
    return [(stats_daily, topics), (stats_channel_daily, channels), (stats_voice_daily, calls)]


async def store_day(connection: AsyncConnection, figures: DayFigures, now: datetime) -> None:
    """Store one day's figures (replacing any), with its roll-up, and mark the day aggregated."""
    for stored, rows in stored_rows(figures):
        await connection.execute(delete(stored).where(stored.c.day == figures.day))
        if rows:
            await connection.execute(stored.insert(), rows)
    await connection.execute(stats_days.insert().values(day=figures.day, aggregated_at=to_utc(now)))
