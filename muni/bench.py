"""Concurrent conversations through the chat API (`make bench`).

20 citizens talk at once, each for several turns; the same turns are then
sent straight to Rasa's REST channel (the named alternative: no gateway, no
redaction, no conversation log), so the ratio shows what the gateway costs.
Prints p50/p95/p99 per turn, errors and throughput for both.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
import uuid

import aiohttp

from muni.chatclient import ChatClient, gateway, percentile

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


async def through_gateway(base_url: str, citizens: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        client = ChatClient(session, base_url)

        async def citizen(municipality: str) -> None:
            nonlocal errors
            conversation = await client.start(municipality, channel="web")
            for text in TURNS:
                turn = await client.say(conversation, text)
                latencies.append(turn.seconds * 1000)
                errors += turn.status != 200

        await asyncio.gather(*(citizen(m) for m in itertools.islice(itertools.cycle(MUNICIPALITIES), citizens)))
    return latencies, errors, time.perf_counter() - started


async def straight_to_rasa(rasa_url: str, citizens: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def citizen(municipality: str) -> None:
            nonlocal errors
            sender = str(uuid.uuid4())
            for text in TURNS:
                begun = time.perf_counter()
                payload = {"sender": sender, "message": text, "metadata": {"municipality": municipality}}
                async with session.post(f"{rasa_url}/webhooks/rest/webhook", json=payload) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append((time.perf_counter() - begun) * 1000)

        await asyncio.gather(*(citizen(m) for m in itertools.islice(itertools.cycle(MUNICIPALITIES), citizens)))
    return latencies, errors, time.perf_counter() - started


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
    with gateway() as base_url:
        rasa_url = base_url.rsplit(":", 1)[0] + ":" + _rasa_port()
        asyncio.run(through_gateway(base_url, 2))  # warm-up: first answers load lazily
        gw = asyncio.run(through_gateway(base_url, args.citizens))
        rasa = asyncio.run(straight_to_rasa(rasa_url, args.citizens))
    print(f"\n{args.citizens} concurrent conversations × {len(TURNS)} turns")
    print(summary("chat API (gateway)", *gw))
    print(summary("Rasa REST directly", *rasa))
    ratio = percentile(gw[0], 0.95) / max(percentile(rasa[0], 0.95), 1e-9)
    print(f"p95 ratio gateway / Rasa directly: {ratio:.2f}x")
    return 0 if gw[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
