"""Two citizens racing for the last time: exactly one gets it."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import aiohttp

from booking import SlotTaken
from booking.sandbox.calendar import load_calendars
from booking.sandbox.store import SandboxStore
from tests.booking.conftest import NOW, client, sandbox_app

TUESDAY = date(2026, 11, 24)


async def test_many_citizens_one_desk_one_winner(aiohttp_server: Callable, tmp_path: Path) -> None:
    server = await aiohttp_server(sandbox_app(tmp_path / "race.db", desks=1))
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        desk = client(http, base)
        slot = (await desk.slots("passport", TUESDAY, TUESDAY))[0]

        async def book(n: int) -> str | None:
            try:
                hold = await desk.hold(slot)
            except SlotTaken:
                return None
            return (await desk.confirm(hold.id, f"Borger {n}", "x@example.dk", f"race-key-{n:04d}")).reference

        results = await asyncio.gather(*(book(n) for n in range(20)))
        assert len([r for r in results if r]) == 1
        assert slot.start not in [s.start for s in await desk.slots("passport", TUESDAY, TUESDAY)]


def test_two_store_connections_racing_for_the_last_desk(tmp_path: Path) -> None:
    """Separate connections (as separate server processes would have): the unique units decide."""
    from dataclasses import replace

    calendar = replace(load_calendars(occupancy=0.0)["aarhus"], desks=1)
    path = tmp_path / "race.db"
    SandboxStore.open(path).close()
    slot = SandboxStore.open(path).free_slots(calendar, "passport", TUESDAY, TUESDAY, NOW)[0]
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def race() -> None:
        store = SandboxStore.open(path)
        barrier.wait()
        try:
            store.hold(calendar, slot, NOW)
            outcomes.append("held")
        except SlotTaken:
            outcomes.append("taken")
        finally:
            store.close()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["held"] + ["taken"] * 7
