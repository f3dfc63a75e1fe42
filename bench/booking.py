"""`make bench-booking`: 50 citizens booking at once against the SANDBOX booking server.

Two measurements, each checking that no desk was booked twice:

- *chat*: 50 conversations book at once through the chat API with the whole
  stack running (gateway, Rasa, action server, sandbox): the typical four
  turns (what and when, a time button, a name, an e-mail address), arriving
  within 10 s and taking the 5-12 s a person needs to read the times or type
  a name between turns; a time someone else got first means new buttons, as
  a citizen would see. (Without pauses, 50 conversations at once measure the
  capacity of one Rasa process instead: about 5 turns a second on 2 cores.);
- *api*: the booking port straight against the sandbox: list free times,
  hold one of the first few, confirm.

Prints p50/p95 latency per booking turn.
"""
from __future__ import annotations

import argparse
import asyncio
import random
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

from bench.chatclient import ChatClient, free_port, measurement_stack, percentile
from booking import BookingError, SlotTaken
from booking.frontdesk import FrontDeskClient
from booking.settings import BookingEndpoint

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
            with urllib.request.urlopen(url, timeout=1):
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
    print(f"api: {citizens} concurrent citizens booking passport times at Skanderborg (2 desks) in the SANDBOX")
    print(f"booked: {len(booked)}, unique references: {len(set(booked))}, errors: {dict(errors) or 'none'}, "
          f"wall: {wall:.2f} s")
    report(timings)
    print(f"double-booked desk minutes: {doubles}")
    ok = doubles == 0 and len(set(booked)) == len(booked) and not any(
        isinstance(r, BaseException) and not isinstance(r, BookingError) for r in results
    )
    return 0 if ok and booked else 1


CHAT_TURNS = ("what and when", "time button", "name", "contact")


async def chat_citizen(n: int, chat: ChatClient, timings: dict[str, list[float]]) -> str | None:
    rng = random.Random(n)

    async def think() -> None:
        await asyncio.sleep(rng.uniform(5.0, 12.0))

    conversation = await chat.start("aarhus")
    await asyncio.sleep(rng.uniform(0.0, 10.0))  # citizens do not all arrive in the same millisecond
    turn = await chat.say(conversation, "Jeg vil gerne bestille tid til pas i næste uge om formiddagen")
    timings["what and when"].append(turn.seconds)
    for attempt in range(MAX_TRIES):
        times = [b for m in turn.body.get("messages", []) for b in m.get("buttons", []) if " kl. " in b["title"]]
        if not times:
            print(f"  citizen {n}: no times offered: {_said(turn.body)[:160]!r}", file=sys.stderr)
            return None
        await think()
        started = time.perf_counter()
        async with chat.session.post(
            f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
            json={"payload": times[(n + attempt) % min(3, len(times))]["payload"]},
            headers={"Authorization": f"Bearer {conversation[1]}"},
        ) as response:
            body = await response.json()
        timings["time button"].append(time.perf_counter() - started)
        if "navn" in " ".join(m["text"] for m in body.get("messages", [])):
            break
        turn = type(turn)(response.status, body, 0.0)
    else:
        print(f"  citizen {n}: every time taken {MAX_TRIES} times in a row", file=sys.stderr)
        return None
    await think()
    turn = await chat.say(conversation, f"Borger Nummer{chr(65 + n % 26)}")
    timings["name"].append(turn.seconds)
    await think()
    turn = await chat.say(conversation, f"borger{n}@example.dk")
    timings["contact"].append(turn.seconds)
    reference = next((word for word in _said(turn.body).split() if word.startswith("SB-")), None)
    if reference is None:
        print(f"  citizen {n}: not booked: {_said(turn.body)[:160]!r}", file=sys.stderr)
    return reference


def _said(body: dict[str, object]) -> str:
    messages = body.get("messages")
    return " ".join(m["text"] for m in messages) if isinstance(messages, list) else str(body)


async def run_chat(citizens: int) -> int:
    with measurement_stack() as config:
        timings: dict[str, list[float]] = {name: [] for name in CHAT_TURNS}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            chat = ChatClient(session, config.gateway_url)
            started = time.perf_counter()
            results = await asyncio.gather(
                *(chat_citizen(n, chat, timings) for n in range(citizens)), return_exceptions=True
            )
            wall = time.perf_counter() - started
        doubles = double_bookings(config.var_dir / "booking_sandbox.db")
    booked = [r for r in results if isinstance(r, str)]
    errors = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
    print(f"\nchat: {citizens} concurrent conversations booking at Aarhus (6 desks) through the chat API")
    print(f"booked: {len(booked)}, unique references: {len(set(booked))}, errors: {dict(errors) or 'none'}, "
          f"wall: {wall:.2f} s")
    report(timings)
    print(f"double-booked desk minutes: {doubles}")
    return 0 if doubles == 0 and booked and len(set(booked)) == len(booked) and not errors else 1


def report(timings: dict[str, list[float]]) -> None:
    for turn, values in timings.items():
        ms = [v * 1000 for v in values]
        print(f"  {turn:<24} n={len(ms):>4}  p50={percentile(ms, 0.5):7.1f} ms  p95={percentile(ms, 0.95):7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--only", choices=("chat", "api"), help="run one of the two measurements")
    args = parser.parse_args()
    status = 0
    if args.only in (None, "api"):
        status |= asyncio.run(run(args.citizens))
    if args.only in (None, "chat"):
        status |= asyncio.run(run_chat(args.citizens))
    return status


if __name__ == "__main__":
    sys.exit(main())
