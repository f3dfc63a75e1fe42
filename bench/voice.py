"""Concurrent phone calls through the voice webhooks (`make bench-voice`).

30 callers at once, each as Twilio would drive it: the call comes in, the caller
picks the assistant, asks several questions (speech results), and hangs up (a
status callback). Every request is signed with the test auth token the stack was
started with. Twilio gives up on a webhook after 15 s; the target is p99 ≤ 1.5 s.

Two scenarios: *phone pace* (calls start within 15 s of each other; between webhooks
the caller hears what the TwiML says, read at 15 characters a second and capped at
12 s, then speaks for 1-3 s) and
*saturated* (no pauses: the stack's capacity, and queueing).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import defaultdict
from xml.etree import ElementTree

import aiohttp
from twilio.request_validator import RequestValidator

from bench.chatclient import measurement_stack, percentile

AUTH_TOKEN = "bench-twilio-auth-token-not-a-secret"
QUESTIONS = (
    "hvad koster det at få taget pasfoto",
    "jeg har mistet mit sygesikringskort",
    "hvornår bliver skraldet hentet",
    "kan jeg få boligstøtte",
    "hvordan melder jeg flytning",
    "jeg vil gerne bestille en tid",
)
TARGET_P99_S = 1.5
CHARS_PER_SECOND = 15.0  # Danish text-to-speech, roughly
MAX_LISTEN_S = 12.0
STAGGER_S = 15.0


def spoken_chars(twiml: str) -> int:
    """How much the caller hears before answering: the text of every <Say>."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError:
        return 0
    return sum(len(say.text or "") for say in root.iter("Say"))


class Caller:
    """One phone call, signed the way Twilio signs it."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, latencies: dict[str, list[float]]) -> None:
        self.session = session
        self.base_url = base_url
        self.latencies = latencies
        self.validator = RequestValidator(AUTH_TOKEN)
        self.call_sid = "CA" + uuid.uuid4().hex
        self.errors = 0

    async def post(self, path: str, **params: str) -> str:
        form = {"CallSid": self.call_sid, "From": "+4520304050", "To": "+4570101010", **params}
        signature = self.validator.compute_signature(self.base_url + path, form)
        started = time.perf_counter()
        async with self.session.post(
            self.base_url + path, data=form, headers={"X-Twilio-Signature": signature}
        ) as response:
            body = await response.text()
            self.errors += response.status not in (200, 204)
        self.latencies[path.split("?")[0]].append(time.perf_counter() - started)
        return body

    async def call(self, rng: random.Random, listening: bool, questions: int) -> None:
        async def pause(twiml: str) -> None:
            if listening:
                await asyncio.sleep(min(spoken_chars(twiml) / CHARS_PER_SECOND, MAX_LISTEN_S) + rng.uniform(1.0, 3.0))

        if listening:  # calls in progress started at different times, not all in the same second
            await asyncio.sleep(rng.uniform(0.0, STAGGER_S))
        twiml = await self.post("/voice/incoming")
        await pause(twiml)
        twiml = await self.post("/voice/menu", Digits="1")
        for question in rng.sample(QUESTIONS, questions):
            await pause(twiml)
            twiml = await self.post("/voice/assistant", SpeechResult=question, Confidence="0.9")
            if "<Dial" in twiml or "<Enqueue" in twiml:
                break  # put through to a person: the assistant's part of the call is over
        await self.post("/voice/status", CallStatus="completed", CallDuration="60")


async def run_calls(base_url: str, calls: int, listening: bool, questions: int) -> tuple[dict[str, list[float]], int, float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        callers = [Caller(session, base_url, latencies) for _ in range(calls)]
        await asyncio.gather(*(c.call(random.Random(i), listening, questions) for i, c in enumerate(callers)))
    return latencies, sum(c.errors for c in callers), time.perf_counter() - started


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<18} n {len(ms):>4}  p50 {percentile(ms, 0.5):7.1f} ms  p95 {percentile(ms, 0.95):7.1f} ms  "
        f"p99 {percentile(ms, 0.99):7.1f} ms  max {max(ms, default=0):7.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--questions", type=int, default=4)
    args = parser.parse_args(argv)
    failed = False
    env = {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "MUNI_VOICE_TRANSFER": "+4570200000",
        "MUNI_VOICE_MUNICIPALITY": "aarhus",
    }
    with measurement_stack(extra_env=env) as config:
        # The gateway checks signatures against its public URL: here, where the bench reaches it.
        base_url = config.gateway_url
        assert config.extra_env.get("MUNI_PUBLIC_URL") == base_url
        asyncio.run(run_calls(base_url, 2, listening=False, questions=2))  # warm-up: lazy loading
        for scenario, listening in (("phone pace (callers listen, then speak)", True), ("saturated (no pauses)", False)):
            latencies, errors, seconds = asyncio.run(run_calls(base_url, args.calls, listening, args.questions))
            every = [s for values in latencies.values() for s in values]
            print(f"\n{args.calls} concurrent calls, {scenario}: {len(every)} webhooks in {seconds:.1f} s, errors {errors}")
            for path in sorted(latencies):
                print(line(path, latencies[path]))
            print(line("all webhooks", every))
            p99 = percentile(every, 0.99)
            verdict = "meets" if p99 <= TARGET_P99_S else "MISSES"
            print(f"p99 {p99 * 1000:.0f} ms {verdict} the target of {TARGET_P99_S * 1000:.0f} ms")
            failed = failed or errors > 0 or (listening and p99 > TARGET_P99_S)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
