"""Crisis mode under a surge (`make bench-crisis`): open-loop web conversations and phone calls at 10x a busy hour.

A normal busy hour for the 27 member municipalities (an estimate, stated so it can be argued with):
about 1.5 million residents; citizen service contacts of roughly 0.6 a resident a year, about
900,000 a year or 3,600 a working day; the busiest hour (Monday 9-10) carries about 15 % of a
day, 540 contacts; the assistant's share, two thirds on the web and one third by phone, is
about 360 web conversations and 180 calls. Ten times that, a crisis: 3,600 conversations
(1 a second) and 1,800 calls (0.5 a second) an hour.

Open loop: conversations and calls arrive on a Poisson schedule whether or not earlier ones have
been answered, so a slow stack meets a growing queue instead of a politely waiting load. Each
conversation opens, asks a crisis question and an ordinary one; each call comes in, picks the
assistant, asks a question and hangs up. Crisis mode is switched on with the real command line
before the load starts. Targets: no lost turn, no dropped call, p95 <= 1 s for chat and <= 1.5 s
for voice webhooks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import aiohttp
from twilio.request_validator import RequestValidator

from bench.chatclient import measurement_stack, percentile
from muni.paths import ROOT

AUTH_TOKEN = "bench-twilio-auth-token-not-a-secret"
BUSY_HOUR_WEB = 360  # conversations an hour, 27 municipalities (see the module's docstring)
BUSY_HOUR_CALLS = 180
SURGE = 10
TARGET_CHAT_P95_S = 1.0
TARGET_VOICE_P95_S = 1.5
BUSY = "Vi har travlt lige nu"
CRISIS_QUESTIONS = ("er vandet forurenet?", "hvor kan jeg få sandsække?", "what is happening")
OTHER_QUESTIONS = ("hvad koster et pas", "hvornår bliver skraldet hentet", "hvordan melder jeg flytning")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    degraded: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lost: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # turns or calls that got no usable answer


async def conversation(session: aiohttp.ClientSession, base: str, tally: Tally, rng: random.Random) -> None:
    async def timed(path: str, body: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, object] | None:
        started = time.perf_counter()
        try:
            async with session.post(base + path, json=body, headers=headers or {}) as response:
                data = await response.json(content_type=None)
                ok = response.status in (200, 201)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            data, ok = None, False
        tally.latencies["chat"].append(time.perf_counter() - started)
        if not ok or not isinstance(data, dict) or not data.get("messages"):
            tally.errors["chat"] += 1
            tally.lost["chat"] += 1
            return None
        if any(BUSY in str(m.get("text", "")) for m in data["messages"] if isinstance(m, dict)):
            tally.degraded["chat"] += 1
        return data

    opened = await timed("/api/v1/conversations", {"municipality": "aarhus", "channel": "web"})
    if opened is None:
        return
    auth = {"Authorization": f"Bearer {opened['token']}"}
    for question in (rng.choice(CRISIS_QUESTIONS), rng.choice(OTHER_QUESTIONS)):
        await asyncio.sleep(rng.uniform(2.0, 6.0))  # reading and typing
        await timed(f"/api/v1/conversations/{opened['conversation_id']}/messages", {"text": question}, auth)


async def call(session: aiohttp.ClientSession, base: str, tally: Tally, rng: random.Random) -> None:
    validator = RequestValidator(AUTH_TOKEN)
    sid = "CA" + uuid.uuid4().hex

    async def webhook(path: str, **params: str) -> str | None:
        form = {"CallSid": sid, "From": "+4520304050", "To": "+4570101010", **params}
        started = time.perf_counter()
        try:
            async with session.post(
                base + path, data=form, headers={"X-Twilio-Signature": validator.compute_signature(base + path, form)}
            ) as response:
                body = await response.text()
                ok = response.status in (200, 204)
        except (aiohttp.ClientError, TimeoutError):
            body, ok = "", False
        tally.latencies["voice"].append(time.perf_counter() - started)
        if not ok:
            tally.errors["voice"] += 1
            return None
        if BUSY in body:
            tally.degraded["voice"] += 1
        return body

    greeting = await webhook("/voice/incoming")
    if greeting is None or "Vigtig besked" not in greeting:
        tally.lost["voice"] += 1  # a dropped call, or one that did not hear the crisis
        return
    await asyncio.sleep(rng.uniform(8.0, 14.0))  # the crisis message and the menu are read aloud
    if await webhook("/voice/menu", Digits="1") is None:
        tally.lost["voice"] += 1
        return
    await asyncio.sleep(rng.uniform(3.0, 6.0))
    if await webhook("/voice/assistant", SpeechResult=rng.choice(CRISIS_QUESTIONS + OTHER_QUESTIONS)) is None:
        tally.lost["voice"] += 1
        return
    await webhook("/voice/status", CallStatus="completed")


async def surge(base: str, duration_s: float, seed: int) -> tuple[Tally, float]:
    """Poisson arrivals of conversations and calls at 10x the busy hour for `duration_s`."""
    rng = random.Random(seed)
    tally = Tally()
    rates = {"chat": SURGE * BUSY_HOUR_WEB / 3600, "voice": SURGE * BUSY_HOUR_CALLS / 3600}
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15)) as session:
        tasks: list[asyncio.Task[None]] = []

        async def arrivals(kind: str) -> None:
            while (time.perf_counter() - started) < duration_s:
                await asyncio.sleep(rng.expovariate(rates[kind]))
                job = conversation if kind == "chat" else call
                tasks.append(asyncio.create_task(job(session, base, tally, random.Random(rng.random()))))

        await asyncio.gather(arrivals("chat"), arrivals("voice"))
        await asyncio.gather(*tasks)
    return tally, time.perf_counter() - started


def crisis_on(database_url: str) -> None:
    args = ["crisis", "on", "--municipality", "aarhus", "--title", "Forurenet drikkevand"]
    args += ["--message", "Drikkevandet i Aarhus C er forurenet. Kog vandet i mindst et minut, før du drikker det."]
    args += ["--message-en", "Boil your tap water before drinking it.", "--link", "https://aarhus.dk/krise"]
    args += ["--phone", "89 40 20 00", "--expires", "2h"]
    env = {**os.environ, "MUNI_DATABASE_URL": database_url}
    subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, cwd=ROOT, check=True, timeout=120)


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<6} n {len(ms):>5}  p50 {percentile(ms, 0.5):7.1f} ms  p95 {percentile(ms, 0.95):7.1f} ms  "
        f"p99 {percentile(ms, 0.99):7.1f} ms  max {max(ms, default=0):7.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of surge (default 300: 5 minutes)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "MUNI_VOICE_TRANSFER": "+4570200000", "MUNI_VOICE_MUNICIPALITY": "aarhus"}
    with measurement_stack(extra_env=env) as config:
        crisis_on(f"sqlite+aiosqlite:///{config.var_dir / 'muni.db'}")
        time.sleep(6)  # past the gateway's crisis cache
        tally, seconds = asyncio.run(surge(config.gateway_url, args.duration, args.seed))
    print(
        f"\nCrisis surge: {SURGE}x a busy hour ({SURGE * BUSY_HOUR_WEB} conversations and {SURGE * BUSY_HOUR_CALLS} calls "
        f"an hour) for {args.duration:.0f} s of arrivals; all answered after {seconds:.1f} s"
    )
    failed = False
    for channel, target in (("chat", TARGET_CHAT_P95_S), ("voice", TARGET_VOICE_P95_S)):
        latencies = tally.latencies[channel]
        p95 = percentile(latencies, 0.95)
        print(line(channel, latencies))
        print(
            f"       errors {tally.errors[channel]}, lost {tally.lost[channel]}, degraded answers {tally.degraded[channel]}; "
            f"p95 {p95 * 1000:.0f} ms {'meets' if p95 <= target else 'MISSES'} the target of {target * 1000:.0f} ms"
        )
        failed = failed or tally.lost[channel] > 0 or p95 > target
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
