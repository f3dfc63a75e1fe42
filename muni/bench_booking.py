"""`make bench-booking`: 50 citizens booking at once against the SANDBOX booking server.

Each citizen does what the conversation does: list free times (the "when"
turn), hold one of the first few (the "time" turn; a taken time means new
times, as in the chat), confirm it (the "contact" turn). Prints p50/p95 per
turn and checks that no desk was booked twice.
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from booking import BookingError, SlotTaken
from booking.frontdesk import FrontDeskClient
from booking.settings import BookingEndpoint
from muni.chatclient import free_port, percentile

MAX_TRIES = 25


async def citizen(n: int, desk: FrontDeskClient, first: date, timings: dict[str, list[float]]) -> str | None:
    for attempt in range(MAX_TRIES):
        started = time.perf_counter()
        slots = await desk.slots("passport", first, first + timedelta(days=6))
        timings["when (list free times)"].append(time.perf_counter() - started)
        if not slots:
            return None
        choice = slots[(n + attempt) % min(4, len(slots))]  # everyone wants the earliest times
        started = time.perf_counter()
        try:
            hold = await desk.hold(choice)
        except SlotTaken:
            timings["time (hold)"].append(time.perf_counter() - started)
            continue
        timings["time (hold)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        booking = await desk.confirm(hold.id, f"Borger {n}", f"borger{n}@example.dk", f"bench-{n}-{hold.id}")
        timings["contact (confirm)"].append(time.perf_counter() - started)
        return booking.reference
    return None


def _wait(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the booking sandbox exited before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit("the booking sandbox did not start")


def double_bookings(database: Path) -> int:
    """Desk-minutes held by more than one booking (0: the unique units held)."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT municipality, location, desk, unit_start, count(*) FROM units GROUP BY 1, 2, 3, 4")
        return sum(1 for *_, count in rows if count > 1)


async def run(citizens: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        port, database = free_port(), Path(tmp) / "bench.db"
        env = {"MUNI_BOOKING_SANDBOX_PORT": str(port), "MUNI_BOOKING_SANDBOX_DB": str(database),
               "MUNI_BOOKING_SANDBOX_KEY": "bench", "PATH": "/usr/bin:/bin"}
        process = subprocess.Popen([sys.executable, "-m", "booking.sandbox"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(f"http://127.0.0.1:{port}/", process)
            timings: dict[str, list[float]] = {"when (list free times)": [], "time (hold)": [], "contact (confirm)": []}
            first = date.today() + timedelta(days=1)
            async with aiohttp.ClientSession() as session:
                desk = FrontDeskClient(session, BookingEndpoint(f"http://127.0.0.1:{port}/skanderborg/v1", "bench"))
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(citizen(n, desk, first, timings) for n in range(citizens)), return_exceptions=True
                )
                wall = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=10)
        booked = [r for r in results if isinstance(r, str)]
        errors = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
        doubles = double_bookings(database)
    print(f"{citizens} concurrent citizens booking passport times at Skanderborg (2 desks) in the SANDBOX")
    print(f"booked: {len(booked)}, unique references: {len(set(booked))}, errors: {dict(errors) or 'none'}, "
          f"wall: {wall:.2f} s")
    for turn, values in timings.items():
        ms = [v * 1000 for v in values]
        print(f"  {turn:<24} n={len(ms):>4}  p50={percentile(ms, 0.5):7.1f} ms  p95={percentile(ms, 0.95):7.1f} ms")
    print(f"double-booked desk minutes: {doubles}")
    ok = doubles == 0 and len(set(booked)) == len(booked) and not any(
        isinstance(r, BaseException) and not isinstance(r, BookingError) for r in results
    )
    return 0 if ok and booked else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50)
    return asyncio.run(run(parser.parse_args().citizens))


if __name__ == "__main__":
    sys.exit(main())
