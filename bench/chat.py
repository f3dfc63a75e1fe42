"""Concurrent conversations through the chat API (`make bench`).

20 citizens talk at once, each for several turns, in two scenarios:

- *typing*: each citizen pauses 1-2 s between turns, as people do; this is
  the latency a citizen sees with 20 conversations under way;
- *saturated*: no pauses at all, a closed loop that measures the stack's
  capacity (turns per second); its latency is queueing, about
  citizens / capacity.

The same turns are also sent straight to Rasa's REST channel (the named
alternative: no gateway, no redaction, no conversation log), side by side,
so the ratio shows what the gateway costs.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import time
import uuid

import aiohttp

from bench.chatclient import ChatClient, measurement_stack, percentile

MUNICIPALITIES = ("aarhus", "viborg", "horsens", "hjoerring", "egedal")
TURNS = (
    "hej",
    "hvad koster det at få taget pasfoto",
    "jeg har mistet mit sygesikringskort",
    "hvornår bliver skraldet hentet",
    "kan jeg få boligstøtte",
    "hvordan melder jeg flytning",
    "jeg vil tale med en medarbejder",
    "tak for hjælpen",
)


Result = tuple[list[float], int, float]  # latencies (ms), errors, seconds


async def pause(rng: random.Random, typing: bool) -> None:
    if typing:
        await asyncio.sleep(rng.uniform(1.0, 2.0))


async def through_gateway(base_url: str, citizens: int, typing: bool) -> Result:
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        client = ChatClient(session, base_url)

        async def citizen(municipality: str, rng: random.Random) -> None:
            nonlocal errors
            conversation = await client.start(municipality, channel="web")
            for text in TURNS:
                await pause(rng, typing)
                turn = await client.say(conversation, text)
                latencies.append(turn.seconds * 1000)
                errors += turn.status != 200

        await asyncio.gather(*(citizen(m, random.Random(i)) for i, m in enumerate(municipalities(citizens))))
    return latencies, errors, time.perf_counter() - started


async def straight_to_rasa(rasa_url: str, citizens: int, typing: bool) -> Result:
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def citizen(municipality: str, rng: random.Random) -> None:
            nonlocal errors
            sender = str(uuid.uuid4())
            for text in TURNS:
                await pause(rng, typing)
                begun = time.perf_counter()
                payload = {"sender": sender, "message": text, "metadata": {"municipality": municipality}}
                async with session.post(f"{rasa_url}/webhooks/rest/webhook", json=payload) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append((time.perf_counter() - begun) * 1000)

        await asyncio.gather(*(citizen(m, random.Random(i)) for i, m in enumerate(municipalities(citizens))))
    return latencies, errors, time.perf_counter() - started


def municipalities(citizens: int) -> list[str]:
    return list(itertools.islice(itertools.cycle(MUNICIPALITIES), citizens))


def summary(name: str, latencies: list[float], errors: int, seconds: float) -> str:
    return (
        f"{name:<22} turns {len(latencies):>4}  errors {errors:>3}  "
        f"p50 {percentile(latencies, 0.5):6.1f} ms  p95 {percentile(latencies, 0.95):6.1f} ms  "
        f"p99 {percentile(latencies, 0.99):6.1f} ms  {len(latencies) / seconds:6.1f} turns/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=20)
    args = parser.parse_args(argv)
    errors = 0
    with measurement_stack() as config:
        base_url, rasa_url = config.gateway_url, f"http://127.0.0.1:{config.rasa_port}"
        asyncio.run(through_gateway(base_url, 2, typing=False))  # warm-up: first answers load lazily
        for scenario, typing in (("typing (1-2 s pauses)", True), ("saturated (no pauses)", False)):
            gw = asyncio.run(through_gateway(base_url, args.citizens, typing))
            rasa = asyncio.run(straight_to_rasa(rasa_url, args.citizens, typing))
            print(f"\n{args.citizens} concurrent conversations × {len(TURNS)} turns, {scenario}")
            print(summary("chat API (gateway)", *gw))
            print(summary("Rasa REST directly", *rasa))
            ratio = percentile(gw[0], 0.95) / max(percentile(rasa[0], 0.95), 1e-9)
            print(f"p95 ratio gateway / Rasa directly: {ratio:.2f}x")
            errors += gw[1]
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
