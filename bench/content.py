"""How long a publish in the console takes to reach the assistant: two action-server readers, one database.

`make bench-content` starts two reader processes (each a GuideLibrary with its own engine and
Follower, as in every `python -m actions` replica), publishes a new passport-photo price for
Aarhus a few times, and prints how long each reader took to answer with it. The poll interval
is the action server's (MUNI_CONTENT_POLL_S, default 15 s); options: --poll-s, --rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from actions.settings import DEFAULT_CONTENT_POLL_S
from conversation.schema import upgrade_database
from knowledge import GuideLibrary
from knowledge.local_values import LocalValueStore
from knowledge.published import Follower
from muni.db import open_engine

SLUG, TOPIC, VARIABLE = "aarhus", "passport", "passport_photo_price"


def _price(library: GuideLibrary) -> str:
    line = next(line for line in library.answer(TOPIC, SLUG).text.splitlines() if line.startswith("Pasfoto"))
    return line.split(" for ")[1].split(" kr.")[0]


async def reader(url: str, poll_s: float) -> None:
    """A child: follow the database and print each price the guide answers with, as it changes."""
    library = GuideLibrary.load()
    engine = open_engine(url)
    task = asyncio.create_task(Follower(LocalValueStore(engine), library.published, library.variables).run(poll_s))
    seen = ""
    print("ready", flush=True)
    try:
        while True:
            if (price := _price(library)) != seen:
                seen = price
                print(f"seen {price} {time.time():.3f}", flush=True)
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await engine.dispose()


async def _wait_for(process: asyncio.subprocess.Process, price: str) -> float:
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode().split()
        if not line:
            raise RuntimeError("a reader stopped")
        if line[0] == "seen" and line[1] == price:
            return float(line[2])


async def main(poll_s: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'muni.db'}"
        engine = open_engine(url)
        await upgrade_database(engine)
        store = LocalValueStore(engine)
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.content", "--reader", url, "--poll-s", str(poll_s), stdout=asyncio.subprocess.PIPE
            )
            for _ in range(2)
        ]
        try:
            for child in children:
                assert child.stdout is not None
                while (await child.stdout.readline()).decode().strip() != "ready":
                    pass
            await asyncio.sleep(poll_s)  # both have read the version once
            delays: list[float] = []
            print(f"Publish -> both readers answer with the new value (poll every {poll_s:g} s, SQLite, 2 processes)")
            for round_ in range(rounds):
                price = str(200 + round_)
                started = time.time()
                await store.publish(SLUG, VARIABLE, int(price), datetime.now(UTC), actor_id=None)
                seen = await asyncio.gather(*(_wait_for(child, price) for child in children))
                round_delays = [at - started for at in seen]
                delays.extend(round_delays)
                print(f"  round {round_ + 1}: " + ", ".join(f"reader {i + 1} {d:.2f} s" for i, d in enumerate(round_delays)))
            print(f"mean {statistics.mean(delays):.2f} s, max {max(delays):.2f} s (the console promises 60 s)")
        finally:
            for child in children:
                child.kill()
                await child.wait()
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--poll-s", type=float, default=DEFAULT_CONTENT_POLL_S)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reader", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.reader:
        asyncio.run(reader(options.reader, options.poll_s))
    else:
        asyncio.run(main(options.poll_s, options.rounds))
