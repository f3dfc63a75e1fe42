"""Scripted fault injection against the running stack (`make test-faults`): one table row per fault.

Each case injects one fault into a whole stack (Rasa, the action server, the booking sandbox behind a
fault proxy, the gateway on PostgreSQL behind a TCP proxy when a server answers, on Redis behind a TCP
proxy when MUNI_REDIS_URL is set, `var/` on a size-limited tmpfs when we may mount one; the index case
restarts the action server on a Qdrant server address that refuses), then prints what the citizen saw, how long until a turn
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
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp

from bench.chatclient import ChatClient, Turn, free_port, rasa_ports
from bench.faultproxy import Fault, HttpFaultProxy, TcpFaultProxy
from conversation.rasa import home
from ops.supervisor import ROOT, Stack, StackConfig, rasa_name

QUESTION = "hvad koster et pas"
BOOK = "Jeg vil gerne bestille tid til pas i næste uge om formiddagen"
HEAL_WITHIN_S = 180.0
POSTGRES_PORT = 5432
QDRANT_PORT = 6333


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
    redis: TcpFaultProxy | None = None
    log: Path | None = None  # the stack's output, every line prefixed with its process's name

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
    """A new conversation's first question is answered."""
    try:
        conversation = await h.chat.start("aarhus")
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, RuntimeError):
        return False
    return await answers_in(h, conversation)


async def answers_in(h: Harness, conversation: tuple[str, str]) -> bool:
    try:
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
    """Kill the Rasa the conversation's turns go to; recovery is its next turn answered (by another
    Rasa while that one restarts, where the stack runs several)."""
    conversation = await h.chat.start("aarhus")
    processes = len(h.stack.config.rasa_ports)
    turn = asyncio.create_task(say(h, conversation, QUESTION))
    await asyncio.sleep(0.05)
    h.stack.processes[rasa_name(home(conversation[0], processes))].send_signal(signal.SIGKILL)
    started = time.monotonic()
    answer = await turn
    stored = citizen_turns(h, conversation[0])
    recovery = await healed(h, started, lambda: answers_in(h, conversation))
    lost = "nothing (the turn is in the log)" if stored in (1, None) else f"{stored} citizen turns stored of 1"
    return Row(f"Rasa kill -9 mid-turn (its own Rasa, 1 of {processes})", seen(answer), recovery, lost)


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
    # Its whole process group (the supervisor starts each part in its own): nothing of it answers after.
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


def tracebacks(h: Harness, since: int, process: str) -> int:
    """Tracebacks `process` printed into the stack's log after byte `since`."""
    if h.log is None:
        return 0
    with open(h.log, "rb") as log:
        log.seek(since)
        lines = log.read().decode(errors="replace").splitlines()
    return sum(1 for line in lines if line.lstrip().startswith(f"{process} |") and "Traceback" in line)


def log_size(h: Harness) -> int:
    return 0 if h.log is None else h.log.stat().st_size


async def actions_restarted_with(h: Harness, env: Mapping[str, str]) -> None:
    """The action server started again with `env` on top of the stack's (the supervisor restarts it)."""
    assert h.stack.children is not None
    child = h.stack.children.children["actions"]
    child.service = replace(child.service, env=dict(env))
    starts = len(child.starts)
    os.killpg(h.stack.processes["actions"].pid, signal.SIGTERM)
    assert child.service.ready_url is not None
    deadline = time.monotonic() + HEAL_WITHIN_S
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline:
            process = h.stack.processes["actions"]
            if len(child.starts) > starts and process.poll() is None:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(child.service.ready_url) as response:
                        if response.status == 200:
                            return
            await asyncio.sleep(0.5)
    raise TimeoutError("the action server did not come back")


async def index_unavailable(h: Harness) -> Row:
    """The action server's index is a Qdrant server that refuses: guides still answer, no traceback."""
    dead = TcpFaultProxy(QDRANT_PORT)  # cut at once: whatever answers at 6333, the index is unreachable
    dead.cut()
    since = log_size(h)
    try:
        await actions_restarted_with(h, {"MUNI_QDRANT_URL": f"http://127.0.0.1:{dead.port}", "MUNI_QDRANT_TIMEOUT": "2"})
        conversation = await h.chat.start("aarhus")
        answer = await say(h, conversation, QUESTION)
        ready = await readiness(h)
    finally:
        dead.close()
    printed = tracebacks(h, since, "actions")
    await actions_restarted_with(h, {})
    started = time.monotonic()
    recovery = await healed(h, started, lambda: answers(h))
    guide = isinstance(answer, Turn) and answer.status == 200 and "pas" in str(answer.body).lower()
    lost = f"nothing: {'the guide answered' if guide else 'NO guide answer'}, {printed} traceback(s), readyz {ready}"
    return Row("Qdrant/index unavailable", seen(answer), recovery, lost)


async def readiness(h: Harness) -> str:
    """/readyz's status and the checks it reports as failing."""
    try:
        async with h.chat.session.get(f"{h.chat.base_url}/readyz") as response:
            body = await response.json(content_type=None)
            failing = {name: result for name, result in (body.get("checks") or {}).items() if result != "ok"}
            return f"{response.status} {failing}"
    except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as error:
        return type(error).__name__


async def redis_unavailable(h: Harness) -> Row:
    """Redis cut under the gateway: rate limits fail open and turns are still answered (and stored)."""
    if h.redis is None:
        return Row("Redis unavailable", "skipped: MUNI_REDIS_URL is not set (no Redis state on this stack)", None, "-")
    conversation = await h.chat.start("aarhus")
    since = log_size(h)
    h.redis.cut()
    try:
        fresh: Turn | BaseException = await say(h, await h.chat.start("aarhus"), QUESTION)
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, RuntimeError) as error:
        fresh = error
    answer = await say(h, conversation, QUESTION)
    h.redis.reopen()
    started = time.monotonic()
    recovery = await healed(h, started, lambda: answers(h))
    stored = citizen_turns(h, conversation[0])
    printed = tracebacks(h, since, "gateway")
    kept = "nothing (the turn is in the log)" if stored in (1, None) else f"{stored} citizen turns stored of 1"
    opened = "new conversation answered" if isinstance(fresh, Turn) and fresh.status == 200 else f"new: {seen(fresh)}"
    return Row("Redis unavailable (cut, reopened)", seen(answer), recovery, f"{kept}; {opened}; {printed} traceback(s)")


def redis_proxy(url: str | None) -> tuple[TcpFaultProxy, str] | None:
    """A cuttable proxy in front of MUNI_REDIS_URL's server (on loopback), and the URL through it."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    proxy = TcpFaultProxy(parts.port or 6379)
    auth = parts.netloc.rpartition("@")[0]
    netloc = f"{auth}@127.0.0.1:{proxy.port}" if auth else f"127.0.0.1:{proxy.port}"
    return proxy, urllib.parse.urlunsplit(parts._replace(netloc=netloc))


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
        "index": index_unavailable,
        "redis": redis_unavailable,
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


ALL = [
    "booking-500", "booking-429", "booking-garbage", "booking-slow", "actions-kill", "rasa-kill", "index", "redis",
    "postgres", "disk",
]


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
            redis = redis_proxy(os.environ.get("MUNI_REDIS_URL")) if "redis" in args.cases else None
            if redis is not None:
                exits.callback(redis[0].close)
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
                **({"MUNI_REDIS_URL": redis[1]} if redis else {}),
            }
            config = StackConfig(var_dir=var, gateway_port=gateway_port, rasa_ports=rasa_ports(),
                                 actions_port=free_port(), booking_sandbox_port=sandbox_port, extra_env=env)
            log = open(Path(folder) / "stack.log", "w")  # noqa: SIM115 (closed by the exit stack)
            exits.callback(log.close)
            print(f"starting Muni on {config.gateway_url} (var/ {'on a 400 MB tmpfs' if limited else 'on disk'}, "
                  f"log {log.name}) …", flush=True)
            with Stack(config, log_sink=log) as stack:
                threading.Thread(target=stack.supervise, name="supervise", daemon=True).start()
                rows = asyncio.run(_with_client(
                    stack, proxy, pg, database, None if redis is None else redis[0], Path(log.name), args.cases
                ))
        if "postgres" in args.cases:
            rows.append(gateway_without_postgres())
    print(table(rows))
    return 0


async def _with_client(stack: Stack, proxy: HttpFaultProxy, pg: TcpFaultProxy | None, database: str | None,
                       redis: TcpFaultProxy | None, log: Path, cases: list[str]) -> list[Row]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        h = Harness(stack, ChatClient(session, stack.config.gateway_url), proxy, pg, database, redis, log)
        return await run_cases(h, cases)


if __name__ == "__main__":
    sys.exit(main())
