"""The synthetic history's bulk aggregates are what the aggregation job computes from its raw rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bench.stats_history import FIRST_DAY, load
from conversation.log import ratings
from conversation.statistics.aggregate import Statistics, compute_day
from conversation.statistics.tables import COUNTERS, VOICE_COUNTERS, stats_channel_daily, stats_daily, stats_voice_daily
from muni.db import open_engine

DAYS = 10


async def test_the_bulk_aggregates_equal_the_job_s_and_the_history_has_calls_links_and_comments(database_url: str) -> None:
    await load(database_url, 2_000, days=DAYS)
    engine = open_engine(database_url)
    try:
        async with engine.connect() as connection:
            for n in range(DAYS):
                day = FIRST_DAY + timedelta(days=n)
                computed = await compute_day(connection, day)
                stored = (await connection.execute(select(stats_daily).where(stats_daily.c.day == day))).all()
                by_topic = {(r.municipality, r.channel, r.topic): {k: r._mapping[k] for k in COUNTERS} for r in stored}
                assert by_topic == computed.rows, day
                voice = (await connection.execute(select(stats_voice_daily).where(stats_voice_daily.c.day == day))).all()
                assert {r.municipality: {k: r._mapping[k] for k in VOICE_COUNTERS} for r in voice} == computed.voice, day
                rolled = (await connection.execute(select(stats_channel_daily).where(stats_channel_daily.c.day == day))).all()
                summed = computed.by_channel()
                assert {(r.municipality, r.channel): {k: r._mapping[k] for k in COUNTERS} for r in rolled} == summed, day
            commented = (await connection.execute(select(func.count()).where(ratings.c.comment.is_not(None)))).scalar()
        rows = await Statistics(engine).summed(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), ("channel",))
        calls = await Statistics(engine).voice_daily(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1))
    finally:
        await engine.dispose()
    by_channel = {row.channel: row.counts for row in rows}
    assert sum(counts["conversations"] for counts in by_channel.values()) == 2_000
    assert by_channel["sms"]["sms_links_sent"] > by_channel["sms"]["conversations"] > 0  # not every link is opened
    assert by_channel["voice"]["ratings"] > 0 and commented > 0
    totals = {name: sum(call.counts[name] for call in calls) for name in VOICE_COUNTERS}
    assert totals["chose_assistant"] == by_channel["voice"]["conversations"]
    assert totals["chose_agent"] > totals["transferred"] > 0 and totals["hung_up_in_menu"] > 0
    assert totals["in_hours"] > 0 and totals["outside_hours"] > 0
    assert 0 < totals["agent_wait_within_60s"] < totals["agent_waits"]
