"""A synthetic year for the statistics benchmark: conversations, turns, ratings, calls and SMS links.

`python -m bench.stats_history --url URL [--conversations 1000000]` makes 27 municipalities' year
day by day and loads it in bulk: SQLite with the journal and syncing off and the secondary indexes
and full-text triggers dropped during the load (made again once at the end); PostgreSQL by COPY
with the secondary indexes made afterwards. Each day's aggregates are counted while the day is
made, by the aggregation job's own rules (`classify`, `count_conversation`, `count_rating`,
`count_call`, `stored_rows`), so nothing is read back. Deterministic (seeded), so runs compare.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.engine import make_url

from conversation.schema import upgrade_database
from conversation.statistics.aggregate import (
    DANISH,
    Call,
    DayFigures,
    count_call,
    count_conversation,
    count_rating,
    stored_rows,
)
from conversation.statistics.definition import Outcome, Turn, classify
from conversation.statistics.search import FTS_TABLE
from conversation.statistics.tables import stats_days
from muni.db import open_engine

MUNICIPALITIES = tuple(f"kommune{n:02d}" for n in range(1, 28))
SIZES = tuple(1 / (rank**0.7) for rank in range(1, 28))  # a few large municipalities, many small
# The conversations' channels. A voice conversation is a call that chose the assistant; an SMS one
# is a link an agent sent that the citizen opened; QR and SMS conversations open on their topic.
CHANNELS = (("web", 0.55), ("voice", 0.18), ("sms", 0.10), ("api", 0.10), ("qr", 0.07))
TOPICS = ("passport", "moving", "waste", "driving_licence", "health_card", "pension", "housing_benefit",
          "child_benefit", "parking", "tax", "appointment_booking", "digital_post")  # fmt: skip
# (source, topic override, handoff, weight): most are answered, some fall back, a few are handed on.
OUTCOMES = (("guide", None, False, 0.62), ("web", None, False, 0.06), ("booking", "appointment_booking", False, 0.06),
            ("fallback", None, True, 0.13), ("handoff", None, True, 0.11), ("safety", "emergency", False, 0.01),
            ("fallback", "appointment_booking", True, 0.01))  # fmt: skip
# The phone line beside the assistant's calls: per call that chose the assistant, this many chose a
# person and this many hung up in the menu; the centre answers on weekdays 8-16 (Danish time).
AGENT_CALLS, MENU_HANG_UPS = 1.1, 0.25
OPEN_FROM_S, OPEN_UNTIL_S = 8 * 3600, 16 * 3600
WAIT_MU, WAIT_SIGMA = 3.6, 0.6  # log-normal agent waits: median about 37 s, one in five over a minute
LINK_OPENED = 0.62  # of the SMS links sent; 2 % fail and are not counted as sent
WEB_RATED, SURVEY_ANSWERED, COMMENTED = 0.10, 0.30, 0.30
SCORES = (3, 5, 6, 7, 7, 8, 8, 9, 9, 9)
COMMENTS = ("Hurtigt svar, tak.", "Svaret passede ikke helt til min situation.", "Fint, men jeg måtte ringe alligevel.",
            "Let at finde ud af.", "For lang ventetid.", "Mangler svar om min kommune.")  # fmt: skip
FIRST_DAY = date(2025, 12, 1)
DAYS = 365
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 0.9, 0.4, 0.3)

CONVERSATION_COLUMNS = ("id", "municipality", "channel", "started_at", "topic", "language")
TURN_COLUMNS = ("conversation_id", "at", "role", "text", "topic", "source", "handoff")
RATING_COLUMNS = ("conversation_id", "score", "at", "comment")
CALL_COLUMNS = ("call_sid", "municipality", "started_at", "conversation_id", "status", "status_rank", "ended_at",
                "duration_s", "choices", "topics", "keypad", "assistant_turns", "handoff", "transferred",
                "survey_sent_at", "caller_hash", "survey_score", "in_hours", "agent_chosen_at", "transferred_at",
                "agent_answered_at", "survey_answered_at", "survey_comment")  # fmt: skip
LINK_COLUMNS = ("key_name", "idempotency_key", "fingerprint", "recipient_hash", "recipient_masked", "municipality",
                "topic", "created_at", "status")  # fmt: skip
TIME_COLUMNS = frozenset({"started_at", "at", "ended_at", "survey_sent_at", "agent_chosen_at", "transferred_at",
                          "agent_answered_at", "survey_answered_at", "created_at"})  # fmt: skip
LOAD_PRAGMAS = ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY", "locking_mode=EXCLUSIVE")
LOADED = ("conversations", "turns", "ratings", "voice_calls", "sms_links")


@dataclass
class Day:
    """One day's rows (times as UTC epoch seconds) and its figures."""

    figures: DayFigures
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {name: [] for name in LOADED})


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect(cumulative, rng.random() * cumulative[-1])


def _between(rng: random.Random, low: int, high: int) -> int:
    """A whole number in [low, high): randrange's distribution, near enough for a benchmark, at a third of its cost."""
    return low + int(rng.random() * (high - low))


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


Shape = tuple[tuple[int, str, str | None, str | None, bool], ...]


@cache
def _outcome(opening_topic: str | None, topic: str, outcome: int) -> tuple[Shape, Outcome]:
    """The turns of one kind of conversation (offset in seconds, role, topic, source, handoff) and how it counts."""
    source, override, handoff, _weight = OUTCOMES[outcome]
    turns = ((0, "bot", None, "conversation", False), (20, "citizen", None, None, False),
             (21, "bot", override or (None if source == "fallback" else topic), source, handoff))  # fmt: skip
    zero = datetime(2000, 1, 1, tzinfo=UTC)
    recorded = [Turn(zero + timedelta(seconds=s), role, _answer(src), t, src, h) for s, role, t, src, h in turns]
    return turns, classify(opening_topic, recorded)


def history(count: int, days: int = DAYS, seed: int = 14) -> Iterator[Day]:
    """The year day by day: about `count` conversations, more on weekdays, with their calls and links."""
    rng = random.Random(seed)
    weights = [WEEKDAY_WEIGHT[(FIRST_DAY + timedelta(days=n)).weekday()] for n in range(days)]
    per_day = [int(count * w / sum(weights)) for w in weights]
    per_day[-1] += count - sum(per_day)
    sizes = list(accumulate(SIZES))
    channels = list(accumulate(w for _, w in CHANNELS))
    outcomes = list(accumulate(o[3] for o in OUTCOMES))
    for n, conversations in enumerate(per_day):
        yield _day(rng, FIRST_DAY + timedelta(days=n), conversations, sizes, channels, outcomes)


def _day(rng: random.Random, day: date, count: int, sizes: list[float], channels: list[float], outcomes: list[float]) -> Day:
    midnight = int(datetime.combine(day, datetime.min.time(), tzinfo=DANISH).timestamp())
    weekday = day.weekday() < 5
    made = Day(DayFigures(day))
    rows, figures = made.rows, made.figures
    for _ in range(count):
        local = _between(rng, 6 * 3600, 22 * 3600)
        at = midnight + local
        cid = _uuid(rng)
        municipality = MUNICIPALITIES[_pick(rng, sizes)]
        channel = CHANNELS[_pick(rng, channels)][0]
        topic = rng.choice(TOPICS)
        opening = topic if channel in ("sms", "qr") else None
        shape, outcome = _outcome(opening, topic, _pick(rng, outcomes))
        rows["conversations"].append((cid, municipality, channel, at, opening, "da"))
        question = f"spørgsmål om {topic} nummer {_between(rng, 0, 500)}"
        for offset, role, turn_topic, source, handoff in shape:
            text = question if role == "citizen" else ("Hej! Hvad kan jeg hjælpe med?" if offset == 0 else _answer(source))
            rows["turns"].append((cid, at + offset, role, text, turn_topic, source, handoff))
        key = (municipality, channel, outcome.topic)
        count_conversation(figures.row(*key), outcome)
        if channel == "voice":
            _assistant_call(rng, made, cid, municipality, at, weekday and OPEN_FROM_S <= local < OPEN_UNTIL_S, outcome, key)
            for _ in range(_some(rng, AGENT_CALLS)):
                _agent_call(rng, made, municipality, midnight, weekday)
            for _ in range(_some(rng, MENU_HANG_UPS)):
                _menu_call(rng, made, municipality, midnight, weekday)
            continue
        if channel == "sms":
            _link(rng, made, municipality, topic, at - _between(rng, 60, 1800))
            for _ in range(_some(rng, 1 / LINK_OPENED - 1)):
                _link(rng, made, municipality, rng.choice(TOPICS), midnight + _between(rng, 6 * 3600, 22 * 3600))
        if rng.random() < WEB_RATED:
            score = rng.choice(SCORES)
            comment = rng.choice(COMMENTS) if rng.random() < COMMENTED else None
            rows["ratings"].append((cid, score, at + 120, comment))
            count_rating(figures.row(*key), score)
    return made


def _answer(source: str | None) -> str:
    return "Din tid er bestilt. Reference AB-12CD34." if source == "booking" else "Her er svaret om dit ærinde."


def _some(rng: random.Random, mean: float) -> int:
    """A whole number with the given mean: its whole part, and one more at the fraction's chance."""
    return int(mean) + (rng.random() < mean - int(mean))


def _sid(rng: random.Random) -> str:
    return f"CA{rng.getrandbits(128):032x}"


def _call(made: Day, sid: str, municipality: str, at: int, length: int, in_hours: bool, **values: Any) -> None:
    """One finished call: its row (the columns not given left empty) and its count."""
    record: dict[str, Any] = {"call_sid": sid, "municipality": municipality, "started_at": at, "status": "completed",
                              "status_rank": 9, "ended_at": at + length, "duration_s": length, "choices": "[]",
                              "topics": "[]", "keypad": "{}", "assistant_turns": 0, "handoff": False,
                              "transferred": False, "in_hours": in_hours, **values}  # fmt: skip
    made.rows["voice_calls"].append(tuple(record.get(name) for name in CALL_COLUMNS))
    moment = {name: _utc(record.get(name)) for name in ("agent_chosen_at", "transferred_at", "agent_answered_at")}
    count_call(made.figures.voice_row(municipality), Call(municipality, record["choices"], record["transferred"], in_hours,
                                                          record["status_rank"], **moment))  # fmt: skip


def _utc(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _assistant_call(
    rng: random.Random, made: Day, cid: str, municipality: str, at: int, in_hours: bool, outcome: Outcome, key: tuple[str, ...]
) -> None:
    """The call of a voice conversation: put through when handed on in hours, else surveyed."""
    begun, length = at - 15, _between(rng, 60, 240)
    if outcome.handoff and in_hours:
        chosen = at + 30
        _call(made, _sid(rng), municipality, begun, length, in_hours, conversation_id=cid, choices='["assistant", "agent"]',
              assistant_turns=1, handoff=True, transferred=True, agent_chosen_at=chosen, transferred_at=chosen + 1,
              agent_answered_at=chosen + _wait(rng))  # fmt: skip
        return
    survey: dict[str, Any] = {}
    if rng.random() < SURVEY_ANSWERED:
        score = rng.choice(SCORES)
        survey = {"survey_score": score, "survey_answered_at": begun + length + _between(rng, 300, 1800),
                  "survey_comment": rng.choice(COMMENTS) if rng.random() < COMMENTED else None}  # fmt: skip
        count_rating(made.figures.row(*key), score)
    _call(made, _sid(rng), municipality, begun, length, in_hours, conversation_id=cid, choices='["assistant"]',
          assistant_turns=1, handoff=outcome.handoff, survey_sent_at=begun + length, caller_hash=f"{rng.getrandbits(256):064x}",
          **survey)  # fmt: skip


def _wait(rng: random.Random) -> int:
    return max(1, round(rng.lognormvariate(WAIT_MU, WAIT_SIGMA)))


def _agent_call(rng: random.Random, made: Day, municipality: str, midnight: int, weekday: bool) -> None:
    """A caller who chose a person: put through in hours (after a wait), read the hours outside them."""
    local = _between(rng, 6 * 3600, 22 * 3600)
    at, chosen = midnight + local, midnight + local + _between(rng, 10, 40)
    in_hours = weekday and OPEN_FROM_S <= local < OPEN_UNTIL_S
    if in_hours:
        wait = _wait(rng)
        _call(made, _sid(rng), municipality, at, chosen - at + wait + _between(rng, 120, 600), True, choices='["agent"]',
              transferred=True, agent_chosen_at=chosen, transferred_at=chosen + 1, agent_answered_at=chosen + wait)  # fmt: skip
    else:
        _call(made, _sid(rng), municipality, at, chosen - at + 20, False, choices='["agent"]', agent_chosen_at=chosen)


def _menu_call(rng: random.Random, made: Day, municipality: str, midnight: int, weekday: bool) -> None:
    local = _between(rng, 6 * 3600, 22 * 3600)
    _call(made, _sid(rng), municipality, midnight + local, _between(rng, 5, 30), weekday and OPEN_FROM_S <= local < OPEN_UNTIL_S)


def _link(rng: random.Random, made: Day, municipality: str, topic: str, at: int) -> None:
    status = "failed" if rng.random() < 0.02 else "delivered"
    number = rng.getrandbits(64)
    made.rows["sms_links"].append(("bench", f"link-{number:016x}", f"{number:064x}", f"{rng.getrandbits(256):064x}",
                                   f"** ** ** {number % 100:02d}", municipality, topic, at, status))  # fmt: skip
    if status != "failed":
        made.figures.row(municipality, "sms", topic)["sms_links_sent"] += 1


COLUMNS = {"conversations": CONVERSATION_COLUMNS, "turns": TURN_COLUMNS, "ratings": RATING_COLUMNS,
           "voice_calls": CALL_COLUMNS, "sms_links": LINK_COLUMNS}  # fmt: skip


async def load(url: str, count: int, days: int = DAYS) -> float:
    """Make and load the history with its aggregates; seconds taken."""
    engine = open_engine(url)
    await upgrade_database(engine)
    await engine.dispose()
    started = time.perf_counter()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        await _load_postgresql(parsed, history(count, days))
    else:
        _load_sqlite(str(parsed.database), history(count, days))
    return time.perf_counter() - started


def _aggregate_rows(figures: DayFigures) -> Iterator[tuple[Table, list[tuple[Any, ...]]]]:
    for table, rows in stored_rows(figures):
        names = [column.name for column in table.columns]
        yield table, [tuple(row[name] for name in names) for row in rows]


def _load_sqlite(path: str, days: Iterator[Day]) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in LOAD_PRAGMAS:
            db.execute(f"PRAGMA {pragma}")
        # Secondary indexes and the full-text triggers are made again after the load: one sort, not millions of steps.
        tables = ", ".join("?" * len(LOADED))
        later = db.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN ({tables}) "
            "AND type IN ('index', 'trigger')",
            LOADED,
        ).fetchall()
        for kind, name, _sql in later:
            db.execute(f"DROP {kind.upper()} {name}")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        texts: dict[int, str] = {}
        db.execute("BEGIN")
        for made in days:
            for name, rows in made.rows.items():
                columns = COLUMNS[name]
                times = [i for i, column in enumerate(columns) if column in TIME_COLUMNS]
                db.executemany(
                    f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [_sqlite_times(row, times, texts) for row in rows],
                )
            for table, rows in _aggregate_rows(made.figures):
                names = [column.name for column in table.columns]
                values = [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows]
                db.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
            db.execute(f"INSERT INTO {stats_days.name} (day, aggregated_at) VALUES (?, ?)", (made.figures.day.isoformat(), stamp))
        db.execute("COMMIT")
        db.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        for _kind, _name, sql in later:
            db.execute(sql)
        db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()


def _sqlite_times(row: tuple[Any, ...], times: list[int], texts: dict[int, str]) -> tuple[Any, ...]:
    """SQLAlchemy stores SQLite timestamps as naive UTC text; the day's part is formatted once."""
    values = list(row)
    for i in times:
        epoch = values[i]
        if epoch is None:
            continue
        whole, second = divmod(epoch, 86400)
        prefix = texts.get(whole)
        if prefix is None:
            prefix = texts[whole] = datetime.fromtimestamp(whole * 86400, UTC).strftime("%Y-%m-%d")
        values[i] = f"{prefix} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000000"
    return tuple(values)


async def _load_postgresql(parsed: Any, days: Iterator[Day]) -> None:
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, database=parsed.database
    )
    try:
        await connection.execute("SET synchronous_commit TO off")
        # Indexes that back no constraint are made again after the load (the text-search GIN index above all).
        later = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = any($1::text[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            list(LOADED),
        )
        for index in later:
            await connection.execute(f'DROP INDEX "{index["indexname"]}"')
        stamp = datetime.now(UTC)
        async with connection.transaction():
            for made in days:
                for name, rows in made.rows.items():
                    columns = COLUMNS[name]
                    times = [i for i, column in enumerate(columns) if column in TIME_COLUMNS]
                    await connection.copy_records_to_table(name, records=[_pg_times(r, times) for r in rows], columns=columns)
                for table, rows in _aggregate_rows(made.figures):
                    if rows:
                        names = [column.name for column in table.columns]
                        await connection.copy_records_to_table(table.name, records=rows, columns=names)
                mark = f"INSERT INTO {stats_days.name} (day, aggregated_at) VALUES ($1, $2)"
                await connection.execute(mark, made.figures.day, stamp)
        for index in later:
            await connection.execute(index["indexdef"])
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def _pg_times(row: tuple[Any, ...], times: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in times:
        if values[i] is not None:
            values[i] = datetime.fromtimestamp(values[i], UTC)
    return tuple(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    args = parser.parse_args()
    seconds = asyncio.run(load(args.url, args.conversations))
    print(
        f"{make_url(args.url).get_backend_name()}: loaded {args.conversations:,} conversations over {DAYS} days "
        f"for {len(MUNICIPALITIES)} municipalities, with their calls, SMS links, ratings and the daily aggregates, "
        f"in {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
