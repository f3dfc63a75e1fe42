"""Load on the chat API and the voice webhooks at once (`make bench-load`).

Three stacks in one run, one after the other on the same machine:

1. the named alternative: the single stack with Rasa started by its own `rasa run` command, as it
   was before bot/rasa_main.py (capacity only);
2. the single stack as `make run` starts it: capacity, then the soak;
3. the cluster as `make run-cluster` starts it (two of each part behind HAProxy, on PostgreSQL and
   Redis): capacity, then the soak. Skipped, with the reason, where a server is missing.

Capacity is the most chat turns/s that a closed loop of 1, 2, 4 … citizens, each asking as soon as
the answer comes, gets served, with the CPU a turn costs each process. The soak is open-loop: web
conversations arrive as a Poisson process whatever the stack's state (a slow stack gets a queue, not
fewer citizens), each asking a few questions with a citizen's think time between, at half the
capacity, first alone (a fifth of the time), then with up to 30 phone calls at phone pace beside
them (signed Twilio webhooks, two fifths); each reports p50/p95/p99 per channel and errors, and the
RSS of every process is sampled over the whole run. The ratios come last.
`--url` and `--cluster-url` measure stacks already running instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.chatclient import ChatClient, free_port, percentile, rasa_ports
from bench.voice import AUTH_TOKEN, QUESTIONS, Caller
from muni.env import SettingsError
from ops.cluster import ClusterConfig, cluster_stack, drop_databases
from ops.supervisor import ROOT, Stack, StackConfig

DEFAULT_SECONDS = 600.0
THINK_MEAN_S = 8.0  # a citizen reads the answer and types the next question
TURNS_PER_CONVERSATION = 3
SATURATED_P95_S = 2.0
RSS_EVERY_S = 5.0


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    done_at: list[float] = field(default_factory=list)


async def one_turn(chat: ChatClient, results: Results, conversation: tuple[str, str], rng: random.Random) -> None:
    try:
        turn = await chat.say(conversation, rng.choice(QUESTIONS))
    except (aiohttp.ClientError, TimeoutError, ValueError):
        results.errors["web"] += 1
        return
    if turn.status != 200:
        results.errors["web"] += 1
        return
    results.latencies["web"].append(turn.seconds)
    results.done_at.append(time.monotonic())


async def conversation(chat: ChatClient, results: Results, rng: random.Random, until: float) -> None:
    try:
        opened = await chat.start(rng.choice(("aarhus", "viborg", "skive")))
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
        results.errors["web"] += 1
        return
    for _ in range(TURNS_PER_CONVERSATION):
        await one_turn(chat, results, opened, rng)
        await asyncio.sleep(rng.expovariate(1 / THINK_MEAN_S))
        if time.monotonic() > until:
            return


async def poisson(rate: float, until: float, rng: random.Random, spawn: object) -> list[asyncio.Task[None]]:
    tasks = []
    while time.monotonic() < until:
        await asyncio.sleep(rng.expovariate(rate))
        tasks.append(asyncio.create_task(spawn()))  # type: ignore[operator]
    return tasks


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by each named process and its children between two readings."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def read(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in descendants(pid)) for name, pid in self.pids.items()}


@dataclass(frozen=True)
class Step:
    clients: int
    turns_per_s: float
    p50_s: float
    p95_s: float
    errors: int
    cpu_ms_per_turn: dict[str, float]


async def closed_loop(chat: ChatClient, clients: int, seconds: float, cpu: CpuMeter | None) -> Step:
    """`clients` citizens who each send their next question as soon as the answer comes.

    Each asks TURNS_PER_CONVERSATION questions in a conversation of their own, then starts another.
    Only turns answered inside the window count, so the rate is what the stack serves, not what
    was offered.
    """
    results = Results()
    until = time.monotonic() + seconds

    async def citizen(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < until:
            try:
                opened = await chat.start(rng.choice(("aarhus", "viborg", "skive")))
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, RuntimeError):
                results.errors["web"] += 1
                continue
            for _ in range(TURNS_PER_CONVERSATION):
                if time.monotonic() >= until:
                    return
                await one_turn(chat, results, opened, rng)

    before = cpu.read() if cpu else {}
    started = time.monotonic()
    await asyncio.gather(*(citizen(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    served = [at for at in results.done_at if at <= until]
    per_turn = {}
    if cpu and served:
        after = cpu.read()
        per_turn = {name: (after[name] - before[name]) * 1000 / len(results.done_at) for name in after}
    latencies = results.latencies["web"]
    return Step(clients, len(served) / min(elapsed, seconds), percentile(latencies, 0.5), percentile(latencies, 0.95),
                results.errors["web"], per_turn)


async def capacity(chat: ChatClient, seconds: float, cpu: CpuMeter | None = None, step_s: float = 20.0) -> float:
    """Turns/s at saturation: the most a closed loop of 1, 2, 4 … citizens gets served.

    The number of citizens doubles until the rate served has grown by less than 10 % over the best
    for two steps in a row (the stack is saturated: more citizens only queue; one step is not enough,
    as the rate of one 20 s step varies by some 10 % on a shared machine) or p95 passes SATURATED_P95_S.
    """
    steps = max(3, int(seconds // step_s))
    per_step = seconds / steps
    print(f"\ncapacity: citizens asking back to back, {per_step:.0f} s a step")
    best: Step | None = None
    flat = 0  # steps in a row that served less than 10 % over the best
    clients = 1
    for _ in range(steps):
        found = await closed_loop(chat, clients, per_step, cpu)
        cost = "  ".join(f"{name} {ms:.0f}" for name, ms in sorted(found.cpu_ms_per_turn.items()))
        print(f"  {clients:3d} citizens  served {found.turns_per_s:6.2f} turns/s  p50 {found.p50_s * 1000:6.0f} ms  "
              f"p95 {found.p95_s * 1000:6.0f} ms  errors {found.errors}" + (f"  CPU ms a turn: {cost}" if cost else ""))
        flat = flat + 1 if best is not None and found.turns_per_s < 1.1 * best.turns_per_s else 0
        if best is None or found.turns_per_s > best.turns_per_s:
            best = found
        if flat >= 2 or found.p95_s > SATURATED_P95_S or found.errors:
            break
        clients *= 2
    return best.turns_per_s if best else 0.0


async def calls_at_phone_pace(base_url: str, session: aiohttp.ClientSession, calls: int, until: float,
                              results: Results) -> None:
    async def caller(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < until:
            one = Caller(session, base_url, results.latencies)
            await one.call(rng, listening=True, questions=3)
            results.errors["voice"] += one.errors

    await asyncio.gather(*(caller(i) for i in range(calls)))


async def steady(chat: ChatClient, base_url: str, rate: float, calls: int, seconds: float) -> Results:
    results = Results()
    rng = random.Random(7)
    until = time.monotonic() + seconds
    conversations_per_s = rate / TURNS_PER_CONVERSATION
    voice = asyncio.create_task(calls_at_phone_pace(base_url, chat.session, calls, until, results))
    tasks = await poisson(conversations_per_s, until, rng, lambda: conversation(chat, results, rng, until))
    await asyncio.gather(*tasks, voice)
    return results


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class RssSampler:
    """The RSS of each named process (with its children) every few seconds, in a thread."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: dict[str, list[int]] = defaultdict(list)
        self._soak_from: dict[str, int] = {}  # each process's first sample of the soak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.samples[name].append(sum(rss_kib(p) for p in descendants(pid)))
            self._stop.wait(RSS_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def soak_starts(self) -> None:
        """From here on is the soak: its growth is reported beside the growth since the process started."""
        self._soak_from = {name: max(0, len(values) - 1) for name, values in self.samples.items()}

    def report(self) -> list[str]:
        lines = []
        for name, values in sorted(self.samples.items()):
            if not values or not values[0]:
                continue
            growth = (values[-1] - values[0]) / values[0] * 100
            soak = ""
            if (start := self._soak_from.get(name)) is not None and values[start]:
                soak = f"  in the soak {(values[-1] - values[start]) / values[start] * 100:+5.1f} %"
            series = " ".join(f"{v / 1024:.0f}" for v in values[:: max(1, len(values) // 8)])
            lines.append(f"  {name:<8} start {values[0] / 1024:6.0f} MiB  end {values[-1] / 1024:6.0f} MiB  "
                         f"peak {max(values) / 1024:6.0f} MiB  growth {growth:+5.1f} %{soak}  (MiB over time: {series})")
        return lines


def line(name: str, seconds: list[float], errors: int) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"  {name:<16} n {len(ms):>5}  p50 {percentile(ms, 0.5):7.0f} ms  p95 {percentile(ms, 0.95):7.0f} ms  "
            f"p99 {percentile(ms, 0.99):7.0f} ms  errors {errors}")


async def measure(
    base_url: str, seconds: float, calls: int, rate: float | None, cpu: CpuMeter | None = None,
    rss: RssSampler | None = None,
) -> float:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        chat = ChatClient(session, base_url)
        await chat.say(await chat.start("aarhus"), QUESTIONS[0])  # warm-up: lazy loading
        found = await capacity(chat, seconds * 0.4, cpu)
        offered = rate if rate is not None else max(0.2, found / 2)
        print(f"capacity: {found:.2f} chat turns/s at saturation")
        print(f"\nchat only: {offered:.2f} chat turns/s offered ({offered / TURNS_PER_CONVERSATION:.2f} conversations/s, "
              f"think time {THINK_MEAN_S:.0f} s), {seconds * 0.2:.0f} s")
        alone = await steady(chat, base_url, offered, 0, seconds * 0.2)
        print(line("web chat turns", alone.latencies["web"], alone.errors["web"]))
        print(f"\nsoak: the same plus {calls} calls at phone pace, {seconds * 0.4:.0f} s")
        if rss is not None:
            rss.soak_starts()
        results = await steady(chat, base_url, offered, calls, seconds * 0.4)
        voice = [s for path, values in results.latencies.items() if path.startswith("/voice") for s in values]
        print(line("web chat turns", results.latencies["web"], results.errors["web"]))
        print(line("voice webhooks", voice, results.errors["voice"]))
        return found


def stack_env(var: str, port: int) -> dict[str, str]:
    return {
        "MUNI_SECRET_KEY": os.environ.get("MUNI_SECRET_KEY", "x" * 48), "MUNI_VAR_DIR": var,
        "MUNI_CONVERSATIONS_PER_MINUTE": "100000", "MUNI_MESSAGES_PER_MINUTE": "100000",
        "MUNI_INDEX_DIR": os.environ.get("MUNI_INDEX_DIR", str(ROOT / "var" / "index")),
        "MUNI_PUBLIC_URL": f"http://127.0.0.1:{port}", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "MUNI_VOICE_TRANSFER": "+4570200000", "MUNI_VOICE_MUNICIPALITY": "aarhus",
    }


@contextmanager
def started_stack(stock_rasa: bool = False) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="muni-load-") as var:
        port = free_port()
        config = StackConfig(
            # Stock Rasa as the stack ran before Muni changed it: one process.
            var_dir=Path(var), gateway_port=port, rasa_ports=rasa_ports(1 if stock_rasa else len(StackConfig.rasa_ports)),
            actions_port=free_port(), booking_sandbox_port=free_port(), extra_env=stack_env(var, port), stock_rasa=stock_rasa,
        )
        with open(Path(var) / "stack.log", "w") as log:
            print(f"starting Muni on {config.gateway_url} (log {log.name}) …", flush=True)
            with Stack(config, log_sink=log) as stack:
                yield stack


@contextmanager
def started_cluster() -> Iterator[Stack]:
    """`make run-cluster`'s cluster on free ports, with its own throwaway databases and Redis keys."""
    tag = os.urandom(4).hex()
    with tempfile.TemporaryDirectory(prefix="muni-load-cluster-") as var:
        port = free_port()
        config = ClusterConfig(
            var_dir=Path(var), port=port, gateway_ports=(free_port(), free_port()),
            rasa_ports=(free_port(), free_port()), actions_ports=(free_port(), free_port()),
            booking_sandbox_port=free_port(), database=f"muni_bench_{tag}", redis_prefix=f"munibench{tag}",
            index_dir=Path(os.environ.get("MUNI_INDEX_DIR", str(ROOT / "var" / "index"))),
            extra_env={key: value for key, value in stack_env(var, port).items() if key != "MUNI_VAR_DIR"},
        )
        with open(Path(var) / "stack.log", "w") as log:
            print(f"starting the cluster on {config.url} (log {log.name}) …", flush=True)
            try:
                stack = cluster_stack(config, log)
                with stack:
                    yield stack
            finally:
                asyncio.run(drop_databases(config))


def measured(stack: Stack, args: argparse.Namespace) -> float:
    """Capacity and the soak on a stack started here, with the RSS of its processes."""
    pids = {name: process.pid for name, process in stack.processes.items()}
    with RssSampler(pids) as rss:
        found = asyncio.run(measure(stack.config.gateway_url, args.seconds, args.calls, args.rate, CpuMeter(pids), rss))
    print("\nRSS of every process (with its children) over the run, from before the first turn, and in the soak:")
    print("\n".join(rss.report()))
    return found


async def capacity_only(base_url: str, seconds: float, cpu: CpuMeter) -> float:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        chat = ChatClient(session, base_url)
        await chat.say(await chat.start("aarhus"), QUESTIONS[0])  # warm-up: lazy loading
        found = await capacity(chat, seconds, cpu)
        print(f"capacity: {found:.2f} chat turns/s at saturation")
        return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_URL"), help="a running single stack (else one is started)")
    parser.add_argument("--cluster-url", default=os.environ.get("BENCH_CLUSTER_URL"),
                        help="a running make run-cluster (else one is started)")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_LOAD_SECONDS", DEFAULT_SECONDS)),
                        help="capacity and soak of each stack (the alternative: its capacity part only)")
    parser.add_argument("--calls", type=int, default=30, help="concurrent phone calls (needs TWILIO_AUTH_TOKEN "
                        "to be the bench's when --url is given)")
    parser.add_argument("--rate", type=float, help="chat turns/s in the soak (default: half the capacity)")
    parser.add_argument("--no-alternative", action="store_true", help="skip the stack with Rasa's own command")
    parser.add_argument("--no-cluster", action="store_true", help="skip the cluster")
    args = parser.parse_args(argv)
    capacities: dict[str, float] = {}
    if args.url:
        print(f"single stack at {args.url} (RSS not sampled: not started here)")
        capacities["single"] = asyncio.run(measure(args.url, args.seconds, args.calls, args.rate))
    else:
        if not args.no_alternative:
            print("\n== the alternative: the single stack with Rasa's own `rasa run` (jsonschema re-checks its schema "
                  "for every action; the SQL tracker store rebuilds the tracker every turn)")
            with started_stack(stock_rasa=True) as stack:
                pids = {name: process.pid for name, process in stack.processes.items()}
                capacities["stock rasa"] = asyncio.run(
                    capacity_only(stack.config.gateway_url, args.seconds * 0.4, CpuMeter(pids)))
        print("\n== the single stack, as `make run` starts it")
        with started_stack() as stack:
            capacities["single"] = measured(stack, args)
    if args.cluster_url:
        print(f"\n== the cluster at {args.cluster_url}")
        capacities["cluster"] = asyncio.run(measure(args.cluster_url, args.seconds, args.calls, args.rate))
    elif not args.no_cluster:
        print("\n== the cluster, as `make run-cluster` starts it")
        try:
            with started_cluster() as stack:
                capacities["cluster"] = measured(stack, args)
        except (SettingsError, OSError) as error:
            print(f"the cluster is skipped: {error}")
    print("\ncapacity (chat turns/s at saturation): " + ", ".join(f"{k} {v:.2f}" for k, v in capacities.items()))
    if "stock rasa" in capacities:
        print(f"capacity ratio single/stock rasa: {capacities['single'] / max(capacities['stock rasa'], 1e-9):.2f}")
    if "cluster" in capacities:
        print(f"capacity ratio cluster/single: {capacities['cluster'] / max(capacities['single'], 1e-9):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
