"""A synthetic year for the statistics benchmark: conversations, turns and ratings for 27 municipalities.

`python -m bench.stats_history --url URL [--conversations 1000000]` loads them in bulk (SQLite:
one transaction of executemany; PostgreSQL: COPY), then runs the aggregation job over the
closed days, and prints how long each step took. Deterministic (seeded), so runs compare.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
from sqlalchemy.engine import make_url

from conversation.schema import upgrade_database
from conversation.statistics.aggregate import Statistics
from muni.db import open_engine

MUNICIPALITIES = tuple(f"kommune{n:02d}" for n in range(1, 28))
CHANNELS = (("web", 0.55), ("voice", 0.18), ("sms", 0.10), ("api", 0.10), ("qr", 0.07))
TOPICS = ("passport", "moving", "waste", "driving_licence", "health_card", "pension", "housing_benefit",
          "child_benefit", "parking", "tax", "appointment_booking", "digital_post")  # fmt: skip
# (source, topic override, handoff, weight): most are answered, some fall back, a few are handed on.
OUTCOMES = (("guide", None, False, 0.62), ("web", None, False, 0.06), ("booking", "appointment_booking", False, 0.06),
            ("fallback", None, True, 0.13), ("handoff", None, True, 0.11), ("safety", "emergency", False, 0.01),
            ("fallback", "appointment_booking", True, 0.01))  # fmt: skip
FIRST_DAY = date(2025, 12, 1)
DAYS = 365


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


def history(count: int, seed: int = 14) -> Iterator[tuple[tuple, list[tuple], tuple | None]]:
    """(conversation, its turns, its rating or None), spread over the year with more on weekdays."""
    rng = random.Random(seed)
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    for _ in range(count):
        day = rng.randrange(DAYS)
        at = start + timedelta(days=day, seconds=rng.randrange(6 * 3600, 22 * 3600))
        cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        channel = _weighted(rng, CHANNELS)
        topic = rng.choice(TOPICS)
        source, override, handoff, _w = rng.choices(OUTCOMES, weights=[o[3] for o in OUTCOMES])[0]
        answer = "Din tid er bestilt. Reference AB-12CD34." if source == "booking" else "Her er svaret om dit ærinde."
        turns = [
            (cid, at, "bot", "Hej! Hvad kan jeg hjælpe med?", None, "conversation", False),
            (cid, at + timedelta(seconds=20), "citizen", f"spørgsmål om {topic} nummer {rng.randrange(500)}", None, None, False),
            (cid, at + timedelta(seconds=21), "bot", answer, override or (None if source == "fallback" else topic),
             source, handoff),
        ]  # fmt: skip
        rating = (cid, rng.choice((3, 5, 6, 7, 7, 8, 8, 9, 9, 9)), at + timedelta(minutes=2)) if rng.random() < 0.1 else None
        yield (cid, rng.choice(MUNICIPALITIES), channel, at, None, "da"), turns, rating


async def load(url: str, count: int) -> float:
    """Bulk-load the history; seconds taken."""
    engine = open_engine(url)
    await upgrade_database(engine)
    await engine.dispose()
    started = time.perf_counter()
    rows = list(history(count))
    conversations = [c for c, _, _ in rows]
    turns = [t for _, ts, _ in rows for t in ts]
    ratings = [r for _, _, r in rows if r is not None]
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, database=parsed.database
        )
        try:
            columns = ("conversation_id", "at", "role", "text", "topic", "source", "handoff")
            await connection.copy_records_to_table(
                "conversations",
                records=conversations,
                columns=("id", "municipality", "channel", "started_at", "topic", "language"),
            )
            await connection.copy_records_to_table("turns", records=turns, columns=columns)
            await connection.copy_records_to_table("ratings", records=ratings, columns=("conversation_id", "score", "at"))
            await connection.execute("ANALYZE")
        finally:
            await connection.close()
    else:
        import sqlite3

        db = sqlite3.connect(str(parsed.database))
        try:
            with db:
                db.executemany("INSERT INTO conversations (id, municipality, channel, started_at, topic, language) "
                               "VALUES (?, ?, ?, ?, ?, ?)", [_sqlite(c) for c in conversations])  # fmt: skip
                db.executemany("INSERT INTO turns (conversation_id, at, role, text, topic, source, handoff) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", [_sqlite(t) for t in turns])  # fmt: skip
                db.executemany("INSERT INTO ratings (conversation_id, score, at) VALUES (?, ?, ?)", [_sqlite(r) for r in ratings])
            db.execute("ANALYZE")
        finally:
            db.close()
    return time.perf_counter() - started


def _sqlite(row: tuple) -> tuple:
    """SQLAlchemy stores SQLite timestamps as naive UTC text."""
    return tuple(v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)


async def aggregate(url: str) -> tuple[int, float]:
    engine = open_engine(url)
    try:
        started = time.perf_counter()
        days = await Statistics(engine).aggregate_closed_days(
            datetime.combine(FIRST_DAY + timedelta(days=DAYS + 1), datetime.min.time(), tzinfo=UTC)
        )
        return len(days), time.perf_counter() - started
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    args = parser.parse_args()
    seconds = asyncio.run(load(args.url, args.conversations))
    print(
        f"loaded {args.conversations:,} conversations over {DAYS} days "
        f"for {len(MUNICIPALITIES)} municipalities in {seconds:.1f} s"
    )
    days, seconds = asyncio.run(aggregate(args.url))
    print(f"aggregated {days} closed days in {seconds:.1f} s")


if __name__ == "__main__":
    main()
