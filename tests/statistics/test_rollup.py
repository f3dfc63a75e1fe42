"""The roll-up without the topic (stats_channel_daily) is always the sum of the daily aggregates."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from admin.statistics import CSV_COLUMNS
from conversation.log import offered_payloads, ratings, turns
from conversation.schema import upgrade_database
from conversation.state import ENGINE
from conversation.statistics.aggregate import Statistics, VoiceRow
from conversation.statistics.export import csv_lines
from conversation.statistics.tables import COUNTERS, stats_channel_daily, stats_daily
from muni.db import open_engine
from tests.statistics.test_aggregates import DAY, script_the_day
from tests.statistics.test_export import the_old_way
from tests.voice.conftest import VoiceClientFactory
from tests.voice.support import OPEN, Clock
from tests.web.support import FakeRasa

Key = tuple[date, str, str]


async def _topics_summed(connection: AsyncConnection) -> dict[Key, dict[str, int]]:
    summed: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for row in (await connection.execute(select(stats_daily))).all():
        into = summed[(row.day, row.municipality, row.channel)]
        for name in COUNTERS:
            into[name] += row._mapping[name]
    return dict(summed)


async def _rolled_up(connection: AsyncConnection) -> dict[Key, dict[str, int]]:
    return {
        (row.day, row.municipality, row.channel): {name: row._mapping[name] for name in COUNTERS}
        for row in (await connection.execute(select(stats_channel_daily))).all()
    }


async def test_the_roll_up_is_the_sum_of_the_topics_before_and_after_retention(
    make_voice_client: VoiceClientFactory, rasa: FakeRasa, clock: Clock
) -> None:
    client = await make_voice_client()
    await script_the_day(client, rasa, clock)  # chats, handoffs of every reason, a booking, ratings, calls
    statistics = Statistics(client.app[ENGINE])
    by_channel = ("day", "municipality", "channel")
    live = await statistics.summed(DAY, DAY, by_channel)
    live_total = await statistics.summed(DAY, DAY, ("municipality",), "aarhus")
    engine = client.app[ENGINE]
    as_csv = the_old_way(live, consortium=True).split("\r\n", 1)[1]
    assert "".join(await csv_lines(engine, DAY, DAY, None, CSV_COLUMNS[2:-2])) == as_csv  # the exports' lines, live

    assert await statistics.aggregate_closed_days(OPEN + timedelta(days=1)) == [DAY]
    async with client.app[ENGINE].connect() as connection:
        rolled = await _rolled_up(connection)
        assert rolled == await _topics_summed(connection)
    assert {(r.day, r.municipality, r.channel): r.counts for r in live} == rolled
    assert rolled[(DAY, "aarhus", "web")]["conversations"] == 5
    assert rolled[(DAY, "aarhus", "web")]["handoffs"] == 2
    assert rolled[(DAY, "aarhus", "voice")]["rating_9"] == 1

    # Retention deletes the texts and the ratings: the stored figures, summed or not, stay.
    async with client.app[ENGINE].begin() as connection:
        await connection.execute(delete(offered_payloads))
        await connection.execute(delete(turns))
        await connection.execute(delete(ratings))
    assert await statistics.summed(DAY, DAY, by_channel) == live
    [calls] = await statistics.voice_daily(DAY, DAY)
    assert await statistics.voice_summed(DAY, DAY) == [VoiceRow(date.min, "aarhus", calls.counts)]
    assert calls.counts["calls"] == 3
    assert "".join(await csv_lines(engine, DAY, DAY, None, CSV_COLUMNS[2:-2])) == as_csv  # and stored
    assert await csv_lines(engine, DAY, DAY, "skive", CSV_COLUMNS[2:-2]) == []
    assert await statistics.summed(DAY, DAY, ("municipality",), "aarhus") == live_total
    assert live_total[0].counts["conversations"] == 8
    async with client.app[ENGINE].connect() as connection:
        assert await _rolled_up(connection) == await _topics_summed(connection)


async def test_the_migration_rolls_up_the_days_aggregated_before_it(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}")
    try:
        await upgrade_database(engine, "0005_stats")
        rows = [
            {"day": DAY, "municipality": m, "channel": ch, "topic": topic, **dict.fromkeys(COUNTERS, 0), **counts}
            for m, ch, topic, counts in (
                ("aarhus", "web", "passport", {"conversations": 3, "resolved": 2}),
                ("aarhus", "web", "waste", {"conversations": 5, "resolved": 4}),
                ("aarhus", "web", "", {"conversations": 2, "resolved": 1}),
                ("skive", "sms", "waste", {"conversations": 4, "ratings": 1}),
            )
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(stats_daily), rows)
        await upgrade_database(engine)
        async with engine.connect() as connection:
            rolled = await _rolled_up(connection)
            assert rolled == await _topics_summed(connection)
        assert rolled[(DAY, "aarhus", "web")]["conversations"] == 10
        assert rolled[(DAY, "aarhus", "web")]["resolved"] == 7
        assert rolled[(DAY, "skive", "sms")]["ratings"] == 1
    finally:
        await engine.dispose()
