"""Published local values: one store in the gateway's database, read by every action server.

Two GuideLibrary instances stand for two replicas of the action server; each has its own
engine and Follower on the one database, as two `python -m actions` processes would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge import GuideLibrary
from knowledge.local_values import LocalValueStore
from knowledge.published import Follower
from muni.db import open_engine

T0 = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


@pytest.fixture
async def replicas(database_url: str, engine: AsyncEngine) -> AsyncIterator[list[tuple[GuideLibrary, Follower]]]:
    """Two action servers' guide libraries, each following the database through its own engine."""
    engines = [open_engine(database_url) for _ in range(2)]
    found = []
    for own in engines:
        library = GuideLibrary.load()
        found.append((library, Follower(LocalValueStore(own), library.published, library.variables)))
    try:
        yield found
    finally:
        for own in engines:
            await own.dispose()


def _photo_line(library: GuideLibrary) -> str:
    return next(line for line in library.answer("passport", "aarhus").text.splitlines() if "Pasfoto" in line)


async def test_a_publish_reaches_both_readers_at_their_next_poll(engine: AsyncEngine, replicas) -> None:
    store = LocalValueStore(engine)
    for library, follower in replicas:
        await follower.refresh()
        assert "for 120 kr." in _photo_line(library)  # the tenant file's demo value

    change = await store.publish("aarhus", "passport_photo_price", 135, T0, actor_id=7)

    assert change is not None and (change.before, change.after) == (None, 135)
    for library, follower in replicas:
        assert await follower.refresh() is True
        assert "for 135 kr." in _photo_line(library)
        assert await follower.refresh() is False  # nothing moved: one version read, no reload
        assert "passport_photo_price" not in library.answer("passport", "skive").text  # only Aarhus changed


async def test_a_published_value_is_no_longer_demo(engine: AsyncEngine, replicas) -> None:
    library, follower = replicas[0]
    store = LocalValueStore(engine)
    for name, value in {
        "passport_photo_price": 135,
        "passport_pickup": "Hent passet i Borgerservice.",
        "booking_url": "https://aarhus.dk/tid",
    }.items():
        await store.publish("aarhus", name, value, T0, actor_id=7)
    await follower.refresh()
    answer = library.answer("passport", "aarhus")
    assert answer.demo is True  # the national fees are still demo
    photo = library.resolve("passport_photo_price", library.municipality("aarhus"))
    assert photo is not None and photo.demo is False


async def test_history_and_revert(engine: AsyncEngine, replicas) -> None:
    store = LocalValueStore(engine)
    first = await store.publish("aarhus", "passport_photo_price", 135, T0, actor_id=7)
    second = await store.publish("aarhus", "passport_photo_price", 140, T0 + timedelta(minutes=1), actor_id=8)
    assert first is not None and second is not None
    assert await store.publish("aarhus", "passport_photo_price", 140, T0, actor_id=8) is None  # no change, no history

    reverted = await store.revert(second, T0 + timedelta(minutes=2), actor_id=9)

    assert reverted is not None and (reverted.before, reverted.after, reverted.reverts) == (140, 135, second.id)
    assert [c.after for c in await store.history("aarhus")] == [135, 140, 135]
    assert await store.history("skive") == []
    undone = await store.revert(first, T0 + timedelta(minutes=3), actor_id=9)  # back to the file's value
    assert undone is not None and undone.after is None
    assert await store.published("aarhus") == {}
    library, follower = replicas[0]
    await follower.refresh()
    assert "for 120 kr." in _photo_line(library)


async def test_the_running_followers_pick_up_a_publish_within_the_poll_interval(engine: AsyncEngine, replicas) -> None:
    every_s = 0.2
    tasks = [asyncio.create_task(follower.run(every_s)) for _, follower in replicas]
    try:
        await asyncio.sleep(every_s)  # both have read the first version
        await LocalValueStore(engine).publish("aarhus", "passport_photo_price", 150, T0, actor_id=7)
        started = time.monotonic()
        pending = {id(library): library for library, _ in replicas}
        while pending and time.monotonic() - started < 10 * every_s:
            pending = {k: lib for k, lib in pending.items() if "for 150 kr." not in _photo_line(lib)}
            await asyncio.sleep(every_s / 20)
        assert not pending, "a replica did not see the publish"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_follower_keeps_the_last_values_while_the_database_is_unreachable(tmp_path: Path) -> None:
    library = GuideLibrary.load()
    missing = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    follower = Follower(LocalValueStore(missing), library.published, library.variables)
    task = asyncio.create_task(follower.run(0.05))
    await asyncio.sleep(0.2)
    assert not task.done()  # it logs and tries again
    assert "for 120 kr." in _photo_line(library)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await missing.dispose()


async def test_a_published_value_that_no_longer_fits_its_type_is_ignored(engine: AsyncEngine, replicas) -> None:
    await LocalValueStore(engine).publish("aarhus", "passport_photo_price", "gratis", T0, actor_id=7)
    library, follower = replicas[0]
    await follower.refresh()
    assert "for 120 kr." in _photo_line(library)


async def test_a_follower_told_to_stop_ends_between_two_polls_without_being_cancelled(
    engine: AsyncEngine, replicas
) -> None:
    library, follower = replicas[0]
    stopped = asyncio.Event()
    task = asyncio.create_task(follower.run(30.0, stopped))
    await asyncio.sleep(0.2)  # the first poll, then the wait for the next
    stopped.set()
    await asyncio.wait_for(task, 5)  # well before the next poll is due
    assert not task.cancelled() and task.exception() is None
