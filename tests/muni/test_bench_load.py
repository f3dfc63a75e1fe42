"""`make bench-load`'s capacity search, against stand-in stacks whose capacity is known by construction.

The stand-ins answer after a fixed wait: one serves a single turn at a time (a stack with one
Rasa process), the other serves any number at once. The search must find the first saturated and
keep doubling the citizens on the second; the exact rates depend on the machine, so the bounds
are wide and only the shape is asserted.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bench.chatclient import ChatClient
from bench.chatclient import Turn as ChatTurn
from bench.load import RssSampler, capacity, closed_loop

SERVICE_S = 0.02


class StandIn(ChatClient):
    """A stack that takes SERVICE_S a turn, one turn at a time when `serial`; it records the most turns it served at once."""

    def __init__(self, serial: bool) -> None:
        self._gate = asyncio.Semaphore(1) if serial else None
        self._ids = itertools.count()
        self.in_flight = 0
        self.most_in_flight = 0

    async def start(self, municipality: str, channel: str = "api", language: str | None = None) -> tuple[str, str]:
        return f"c{next(self._ids)}", "token"

    async def say(self, conversation: tuple[str, str], text: str) -> ChatTurn:
        started = asyncio.get_running_loop().time()
        if self._gate is not None:
            async with self._gate:
                await self._serve()
        else:
            await self._serve()
        return ChatTurn(200, {"messages": []}, asyncio.get_running_loop().time() - started)

    async def _serve(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(SERVICE_S)
        finally:
            self.in_flight -= 1


async def test_a_stack_serving_one_turn_at_a_time_is_found_saturated_at_its_rate(capsys: pytest.CaptureFixture[str]) -> None:
    stand_in = StandIn(serial=True)
    found = await capacity(stand_in, seconds=3.0, step_s=0.5)  # room for six steps

    assert 0.5 / SERVICE_S < found <= 1.05 / SERVICE_S  # at most one turn per SERVICE_S, and not far below it
    steps = [line for line in capsys.readouterr().out.splitlines() if "citizens  served" in line]
    assert len(steps) == 3  # two and four citizens got no more served than one: saturated, the search stops
    assert stand_in.most_in_flight == 1


async def test_a_stack_that_serves_more_at_once_gets_more_citizens(capsys: pytest.CaptureFixture[str]) -> None:
    stand_in = StandIn(serial=False)
    found = await capacity(stand_in, seconds=2.0, step_s=0.5)  # room for four steps

    steps = [line for line in capsys.readouterr().out.splitlines() if "citizens  served" in line]
    assert [line.split()[0] for line in steps] == ["1", "2", "4", "8"]  # doubled each step, up to the step limit
    assert found > 5 / SERVICE_S  # eight citizens at once got well over one citizen's rate
    assert stand_in.most_in_flight == 8


async def test_only_turns_answered_inside_the_window_count() -> None:
    stand_in = StandIn(serial=True)
    step = await closed_loop(stand_in, clients=8, seconds=0.5, cpu=None)

    # Eight citizens wait in line, but the stand-in serves one turn per SERVICE_S: the rate is what it
    # served in the window, not the eight turns asked at once.
    assert step.turns_per_s <= 1.05 / SERVICE_S
    assert step.errors == 0
    assert step.p95_s >= 4 * SERVICE_S  # the queue shows in the latency


def test_memory_growth_is_reported_since_the_start_and_within_the_soak() -> None:
    rss = RssSampler({"gateway": 1})
    rss.samples["gateway"] = [100 * 1024, 110 * 1024, 120 * 1024]  # warming up under the capacity search
    rss.soak_starts()
    rss.samples["gateway"] += [123 * 1024, 126 * 1024]

    [report] = rss.report()
    assert "start    100 MiB  end    126 MiB" in report
    assert "growth +26.0 %" in report
    assert "in the soak  +5.0 %" in report  # 120 MiB when the soak started
