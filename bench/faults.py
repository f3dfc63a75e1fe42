"""Scripted fault injection against the running stack (`make test-faults`): one table row per fault.

Each case injects one fault into a whole stack (Rasa, the action server, the booking sandbox behind a
fault proxy, the gateway on PostgreSQL behind a TCP proxy when a server answers, `var/` on a
size-limited tmpfs when we may mount one), then prints what the citizen saw, how long until a turn
was answered normally again, and whether anything was lost (a citizen's turn not in the log, a
booking made twice or lost). The reduced form runs in `make test` (tests/e2e/test_faults.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.chatclient import ChatClient, Turn, free_port
from bench.faultproxy import Fault, HttpFaultProxy, TcpFaultProxy
from ops.supervisor import ROOT, Stack, StackConfig

QUESTION = "hvad koster et pas"
BOOK = "Jeg vil gerne bestille tid til pas i næste uge om formiddagen"
HEAL_WITHIN_S = 180.0
POSTGRES_PORT = 5432


@dataclass
class Row:
    case: str
    citizen_saw: str
    recovery_s: float | None
    lost: str


@dataclass
class Harness:
    stack: Stack
    chat: ChatClient
    proxy: HttpFaultProxy
    database: TcpFaultProxy | None
    database_name: str | None

    @property
    def var(self) -> Path:
        return self.stack.config.var_dir


def seen(turn: Turn | BaseException) -> str:
    if isinstance(turn, BaseException):
        return f"{type(turn).__name__}: {turn}"[:90]
    if turn.status == 200:
        text = " / ".join(message["text"] for message in turn.body.get("messages", []))
    else:
        text = str((turn.body.get("error") or {}).get("message", turn.body))
    return f"{turn.status} in {turn.seconds:.1f} s {text.replace(chr(10), ' ')[:70]!r}"


async def say(h: Harness, conversation: tuple[str, str], text: str) -> Turn | BaseException:
    try:
        return await h.chat.say(conversation, text)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return error


async def healed(h: Harness, since: float, check: Callable[[], Awaitable[bool]]) -> float | None:
    while time.monotonic() - since < HEAL_WITHIN_S:
        if await check():
            return time.monotonic() - since
        await asyncio.sleep(1.0)
    return None


async def answers(h: Harness) -> bool:
    try:
        conversation = await h.chat.start("aarhus")
        turn = await h.chat.say(conversation, QUESTION)
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, RuntimeError):
        return False
    return turn.status == 200


async def click(h: Harness, conversation: tuple[str, str], payload: str) -> Turn:
    async with h.chat.session.post(
        f"{h.chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
        json={"payload": payload}, headers={"Authorization": f"Bearer {conversation[1]}"},
    ) as response:
        return Turn(response.status, await response.json(), 0.0)


def citizen_turns(h: Harness, conversation_id: str) -> int | None:
    """The citizen's turns in the gateway's log (SQLite only; None where the log is on PostgreSQL)."""
    if h.database is not None:
        return None
    with sqlite3.connect(h.var / "muni.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM turns WHERE conversation_id = ? AND role = 'citizen'", (conversation_id,)
        ).fetchone()
    return int(count)


def bookings(h: Harness, contact: str) -> int:
    with sqlite3.connect(h.var / "booking_sandbox.db") as db:
        (count,) = db.execute("SELECT count(*) FROM bookings WHERE contact = ?", (contact,)).fetchone()
    return int(count)


async def rasa_killed_mid_turn(h: Harness) -> Row:
    conversation = await h.chat.start("aarhus")
    turn = asyncio.create_task(say(h, conversation, QUESTION))
    await asyncio.sleep(0.05)
    h.stack.processes["rasa"].send_signal(signal.SIGKILL)
    started = time.monotonic()
    answer = await turn
    recovery = await healed(h, started, lambda: answers(h))
    stored = citizen_turns(h, conversation[0])
    lost = "nothing (the turn is in the log)" if stored in (1, None) else f"{stored} citizen turns stored of 1"
    return Row("Rasa kill -9 mid-turn", seen(answer), recovery, lost)


async def actions_killed_mid_booking(h: Harness) -> Row:
    email = f"fault-{uuid.uuid4().hex[:8]}@example.dk"
    conversation = await h.chat.start("aarhus")
    offer = await h.chat.say(conversation, BOOK)
    times = [b for m in offer.body.get("messages", []) for b in m.get("buttons", []) if " kl. " in b["title"]]
    if not times:
        return Row("action server killed mid-booking", "no times offered: " + seen(offer), None, "not run")
    await click(h, conversation, times[0]["payload"])
    await h.chat.say(conversation, "Anna Jensen")
    h.proxy.booked.clear()
    h.proxy.release.clear()
    h.proxy.fault = Fault("hold_booking")
    started = time.monotonic()
    turn = asyncio.create_task(say(h, conversation, email))
    await asyncio.to_thread(h.proxy.booked.wait, 60)
    # The whole group: rasa-sdk serves from a Sanic worker process under the one the supervisor started.
    os.killpg(h.stack.processes["actions"].pid, signal.SIGKILL)
    h.proxy.fault = Fault()
    h.proxy.release.set()
    answer = await turn
    recovery = time.monotonic() - started if isinstance(answer, Turn) and answer.status == 200 else None
    made = bookings(h, email)
    lost = {1: "nothing: booked once", 0: "the booking is LOST"}.get(made, f"DOUBLE booking ({made})")
    return Row("action server killed mid-booking", seen(answer), recovery, lost)


def booking_fault(name: str, fault: Fault) -> Callable[[Harness], Awaitable[Row]]:
    async def case(h: Harness) -> Row:
        conversation = await h.chat.start("aarhus")
        h.proxy.fault = fault
        answer = await say(h, conversation, BOOK)
        h.proxy.fault = Fault()
        started = time.monotonic()

        async def books() -> bool:
            turn = await say(h, await h.chat.start("aarhus"), BOOK)
            return isinstance(turn, Turn) and turn.status == 200 and " kl. " in str(turn.body)

        recovery = await healed(h, started, books)
        return Row(name, seen(answer), recovery, "nothing: no hold left behind, nothing booked")

    return case


async def postgres_cut(h: Harness) -> Row:
    if h.database is None:
        return Row("PostgreSQL stopped and started", "skipped: no PostgreSQL server answers", None, "-")
    conversation = await h.chat.start("aarhus")
    h.database.cut()
    answer = await say(h, conversation, QUESTION)
    await asyncio.sleep(3.0)
    h.database.reopen()
    started = time.monotonic()
    recovery = await healed(h, started, lambda: answers(h))
    return Row("PostgreSQL stopped, started 3 s later", seen(answer), recovery, "the turn sent while it was down")


async def disk_full(h: Harness) -> Row:
    if not _is_mount(h.var):
        return Row("disk under var/ full", "skipped: var/ is not a size-limited tmpfs (needs root)", None, "-")
    filler = h.var / "filler"
    with open(filler, "wb") as sink, contextlib.suppress(OSError):
        while True:
            sink.write(b"\0" * (1 << 20))
    try:
        conversation = await h.chat.start("aarhus")
        answer: Turn | BaseException = await say(h, conversation, QUESTION)
        stored = citizen_turns(h, conversation[0])
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, RuntimeError) as error:
        answer, stored = error, 0
    finally:
        filler.unlink()
    started = time.monotonic()
    recovery = await healed(h, started, lambda: answers(h))
    lost = {1: "nothing (SQLite had room in its pages)", 0: "the citizen's turn was not stored"}.get(
        stored if stored is not None else -1, "not checked (log on PostgreSQL)")
    return Row("disk under var/ full (ENOSPC)", seen(answer), recovery, lost)


def redis_case() -> Row:
    if not os.environ.get("MUNI_REDIS_URL"):
        return Row("Redis restarted", "skipped: MUNI_REDIS_URL is not set (no Redis state on this stack)", None, "-")
    return Row("Redis restarted", "not scripted on this branch: the cluster branch brings Redis state", None, "-")


def gateway_without_postgres() -> Row:
    """The gateway pointed at a PostgreSQL that is not there: it must say so, never run on memory."""
    env = {**os.environ, "MUNI_SECRET_KEY": "faults-" + "k" * 40, "MUNI_PORT": str(free_port()),
           "MUNI_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/muni"}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "gateway"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=90)
    except subprocess.TimeoutExpired:
        return Row("gateway started without PostgreSQL", "it kept running for 90 s (no clear failure)", None, "-")
    last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
    return Row("gateway started without PostgreSQL", f"exit {done.returncode} after {time.monotonic() - started:.0f} s: "
               f"{last[:70]}", None, "nothing: no fallback to memory")


def _is_mount(path: Path) -> bool:
    return os.path.ismount(path)


@contextlib.contextmanager
def size_limited(path: Path, megabytes: int) -> Iterator[bool]:
    """`path` on a tmpfs of `megabytes` where we may mount one (root); otherwise left as it is."""
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], capture_output=True
    ).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def postgres_database() -> str | None:
    """A fresh database for this run on the machine's PostgreSQL, or None when none answers."""
    name = f"muni_faults_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c",
                           f"CREATE DATABASE {name}"], capture_output=True, timeout=30)
    return name if done.returncode == 0 else None


def drop_database(name: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c",
                    f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True, timeout=30)


async def run_cases(h: Harness, names: list[str]) -> list[Row]:
    cases: dict[str, Callable[[Harness], Awaitable[Row]]] = {
        "rasa-kill": rasa_killed_mid_turn,
        "actions-kill": actions_killed_mid_booking,
        "booking-slow": booking_fault("booking API slow (20 s)", Fault("slow", seconds=20)),
        "booking-500": booking_fault("booking API 500", Fault("status", status=500)),
        "booking-429": booking_fault("booking API 429 Retry-After: 30",
                                     Fault("status", status=429, headers={"Retry-After": "30"})),
        "booking-garbage": booking_fault("booking API garbage", Fault("garbage")),
        "postgres": postgres_cut,
        "disk": disk_full,
    }
    rows = []
    for name in names:
        if name in cases:
            print(f"… {name}", flush=True)
            rows.append(await cases[name](h))
    return rows


def table(rows: list[Row]) -> str:
    lines = [f"| {'fault':<40} | {'what the citizen saw':<92} | {'recovered in':>12} | lost |",
             f"|{'-' * 42}|{'-' * 94}|{'-' * 14}|------|"]
    for row in rows:
        recovery = "-" if row.recovery_s is None else f"{row.recovery_s:.1f} s"
        lines.append(f"| {row.case:<40} | {row.citizen_saw:<92} | {recovery:>12} | {row.lost} |")
    return "\n".join(lines)


ALL = ["booking-500", "booking-429", "booking-garbage", "booking-slow", "actions-kill", "rasa-kill", "postgres", "disk"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=ALL, help=f"some of: {' '.join(ALL)}")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="muni-faults-") as folder:
        var = Path(folder) / "var"
        var.mkdir()
        database = postgres_database() if "postgres" in args.cases else None
        with size_limited(var, 400) as limited, contextlib.ExitStack() as exits:
            if database:
                exits.callback(drop_database, database)
            sandbox_port = free_port()
            proxy = HttpFaultProxy(f"http://127.0.0.1:{sandbox_port}")
            exits.callback(proxy.close)
            pg = TcpFaultProxy(POSTGRES_PORT) if database else None
            if pg is not None:
                exits.callback(pg.close)
            gateway_port = free_port()
            env = {
                "MUNI_SECRET_KEY": "faults-" + "k" * 42,
                "MUNI_VAR_DIR": str(var),
                "MUNI_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
                "MUNI_BOOKING_SANDBOX_URL": proxy.url,
                "MUNI_MESSAGES_PER_MINUTE": "100000",
                "MUNI_CONVERSATIONS_PER_MINUTE": "100000",
                "MUNI_INDEX_DIR": os.environ.get("MUNI_INDEX_DIR", str(ROOT / "var" / "index")),
                **({"MUNI_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/{database}"} if pg else {}),
            }
            config = StackConfig(var_dir=var, gateway_port=gateway_port, rasa_port=free_port(),
                                 actions_port=free_port(), booking_sandbox_port=sandbox_port, extra_env=env)
            log = open(Path(folder) / "stack.log", "w")  # noqa: SIM115 (closed by the exit stack)
            exits.callback(log.close)
            print(f"starting Muni on {config.gateway_url} (var/ {'on a 400 MB tmpfs' if limited else 'on disk'}, "
                  f"log {log.name}) …", flush=True)
            with Stack(config, log_sink=log) as stack:
                threading.Thread(target=stack.supervise, name="supervise", daemon=True).start()
                rows = asyncio.run(_with_client(stack, proxy, pg, database, args.cases))
        if "postgres" in args.cases:
            rows.append(gateway_without_postgres())
        rows.append(redis_case())
    print(table(rows))
    return 0


async def _with_client(stack: Stack, proxy: HttpFaultProxy, pg: TcpFaultProxy | None, database: str | None,
                       cases: list[str]) -> list[Row]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        h = Harness(stack, ChatClient(session, stack.config.gateway_url), proxy, pg, database)
        return await run_cases(h, cases)


if __name__ == "__main__":
    sys.exit(main())
