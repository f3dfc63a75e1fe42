"""Child processes kept alive: start, copy their output, restart with back-off, give up on a crash loop.

The supervisor (ops/supervisor.py) runs Muni's parts with this; the tests run tiny Python
scripts with it and an injected clock. Nothing here knows what the children are.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

STOP_GRACE_S = 15.0  # SIGTERM to SIGKILL, at shutdown and for what a dead child left behind
PROC = Path("/proc")


@dataclass(frozen=True)
class Service:
    """One child: its name (the prefix of its output lines), its command, and when it is ready."""

    name: str
    argv: list[str]
    ready_url: str | None = None  # None: ready as soon as it runs
    env: Mapping[str, str] = field(default_factory=dict)  # on top of the shared environment (a replica's ports)


@dataclass(frozen=True)
class RestartPolicy:
    """Back-off 1 s doubling to 30 s; give up after `max_crashes` crashes within `window_s`."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    stable_after_s: float = 60.0  # a child that ran this long starts its back-off again at first_delay_s
    max_crashes: int = 5
    window_s: float = 120.0

    def delay(self, consecutive: int) -> float:
        """The wait before restart number `consecutive` (1 for the first crash in a row)."""
        return min(self.max_delay_s, self.first_delay_s * 2 ** max(consecutive - 1, 0))


DEFAULT_POLICY = RestartPolicy()


class TextSink(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class LineSink:
    """Where the children's output lines go; a sink that fails (a closed pipe) drops lines, never blocks.

    The copier threads must keep reading the children's pipes whatever happens to the
    supervisor's own output: a child whose pipe fills up (64 KiB) blocks on its next write.
    """

    def __init__(self, stream: TextSink) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = False
        self.dropped = 0

    @property
    def stream(self) -> TextSink:
        """Where the lines go (tests read back an in-memory one)."""
        return self._stream

    def write_line(self, line: str) -> None:
        with self._lock:
            if self.broken:
                self.dropped += 1
                return
            try:
                self._stream.write(line if line.endswith("\n") else line + "\n")
                self._stream.flush()
            except (OSError, ValueError):  # BrokenPipeError, or a file closed under us
                self.broken = True
                self.dropped += 1

    def write(self, text: str) -> int:
        """As a text stream (whole lines only), for writers that take one."""
        self.write_line(text)
        return len(text)

    def flush(self) -> None:
        """Every line is flushed as it is written."""


def copy_output(name: str, stream: IO[bytes], sink: LineSink) -> None:
    """Copy a child's lines to the sink, prefixed with its name, until the child closes its output."""
    with stream:
        for line in iter(stream.readline, b""):
            sink.write_line(f"{name:>8} | {line.decode(errors='replace')}")


@dataclass(frozen=True)
class GaveUp:
    """The supervisor stopped restarting `name`: it crashed `crashes` times within the window."""

    name: str
    exit_code: int
    crashes: int


@dataclass
class Child:
    service: Service
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: list[float] = field(default_factory=list)  # when each process of this child was started
    crashes: deque[float] = field(default_factory=deque)  # within the policy's window
    consecutive: int = 0  # crashes since the child last ran stably
    restart_at: float | None = None  # pending restart
    terminated_at: float | None = None  # when its dead process's group was sent SIGTERM


class Children:
    """A set of child processes, each in its own session and process group.

    Signals go to the whole group: a child's own children (rasa-sdk's and Rasa's Sanic workers)
    are in it, and must never outlive it holding its port. A child that died is restarted
    only once its group is gone (SIGTERM when it is seen dead, SIGKILL after `grace_s`).
    """

    def __init__(
        self,
        services: Sequence[Service],
        *,
        cwd: Path,
        env: Mapping[str, str],
        sink: LineSink,
        policy: RestartPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        poll_s: float = 0.5,
        grace_s: float = STOP_GRACE_S,
    ) -> None:
        self._cwd = cwd
        self._env = dict(env)
        self.sink = sink
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._poll_s = poll_s
        self._grace_s = grace_s
        self.children = {service.name: Child(service) for service in services}
        self._stopping = threading.Event()

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """The current process of each child that has been started."""
        return {name: c.process for name, c in self.children.items() if c.process is not None}

    def say(self, line: str) -> None:
        self.sink.write_line(f"{'muni':>8} | {line}")

    def start_all(self) -> None:
        for name in self.children:
            self.spawn(name)

    def spawn(self, name: str) -> None:
        child = self.children[name]
        process = subprocess.Popen(
            child.service.argv,
            cwd=self._cwd,
            env={**self._env, **child.service.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.stdout is not None  # stdout=PIPE
        threading.Thread(
            target=copy_output, args=(name, process.stdout, self.sink), name=f"copy-{name}", daemon=True
        ).start()
        child.process = process
        child.started_at = self._clock()
        child.starts.append(child.started_at)
        child.restart_at = None
        child.terminated_at = None

    def check(self) -> GaveUp | None:
        """One look at every child: restart those due, schedule those that died; GaveUp on a crash loop."""
        now = self._clock()
        for name, child in self.children.items():
            if self._stopping.is_set():
                return None
            if child.restart_at is not None:
                if now >= child.restart_at and self._group_ended(child, now):
                    self.say(f"restarting {name}")
                    self.spawn(name)
                continue
            if child.process is None:
                continue
            code = child.process.poll()
            if code is None:
                if child.consecutive and now - child.started_at >= self.policy.stable_after_s:
                    child.consecutive = 0
                continue
            if (gave_up := self._crashed(child, code, now)) is not None:
                return gave_up
        return None

    def _group_ended(self, child: Child, now: float) -> bool:
        """Whether what the dead child left in its group is gone; SIGKILL it once the grace is over."""
        assert child.process is not None  # only a child that ran is restarted
        pgid = child.process.pid
        if not group_alive(pgid):
            return True
        if child.terminated_at is not None and now - child.terminated_at >= self._grace_s:
            self.say(f"{child.service.name}'s remaining processes outlived SIGTERM by {self._grace_s:g} s; killing them")
            _signal_group(pgid, signal.SIGKILL)
            child.terminated_at = None  # said once; the next look sees them gone
        return False

    def _crashed(self, child: Child, code: int, now: float) -> GaveUp | None:
        name, policy = child.service.name, self.policy
        assert child.process is not None
        if group_alive(child.process.pid):  # its workers are still there, holding its port
            _signal_group(child.process.pid, signal.SIGTERM)
            child.terminated_at = now
        child.crashes.append(now)
        while child.crashes and now - child.crashes[0] > policy.window_s:
            child.crashes.popleft()
        if len(child.crashes) >= policy.max_crashes:
            self.say(
                f"{name} exited with code {code}: {len(child.crashes)} crashes within {policy.window_s:g} s;"
                " giving up on it"
            )
            return GaveUp(name, code, len(child.crashes))
        child.consecutive += 1
        delay = policy.delay(child.consecutive)
        child.restart_at = now + delay
        self.say(
            f"{name} exited with code {code}; restarting it in {delay:g} s"
            f" (crash {len(child.crashes)} within {policy.window_s:g} s)"
        )
        return None

    def supervise(self) -> GaveUp | None:
        """Keep the children running until `stop` is called (None) or one of them crash-loops."""
        while not self._stopping.is_set():
            if (gave_up := self.check()) is not None:
                return gave_up
            self._sleep(self._next_wait())
        return None

    def _next_wait(self) -> float:
        now = self._clock()
        due = [c.restart_at - now for c in self.children.values() if c.restart_at is not None]
        return max(0.0, min([self._poll_s, *due]))

    def stop(self) -> None:
        """SIGTERM every child's process group, then SIGKILL what is left of it after the grace period.

        A child that already died may have left processes in its group: they are ended too.
        """
        self._stopping.set()
        processes = [c.process for c in self.children.values() if c.process is not None]
        for process in processes:
            if process.poll() is None or group_alive(process.pid):
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._grace_s
        left = _wait_for_groups(processes, deadline)
        for process in left:
            _signal_group(process.pid, signal.SIGKILL)
        _wait_for_groups(left, time.monotonic() + 10.0)


def _wait_for_groups(processes: Sequence[subprocess.Popen[bytes]], deadline: float) -> list[subprocess.Popen[bytes]]:
    """Wait until each process has exited (reaped) and its group is empty; those left at the deadline."""
    left = list(processes)
    while left:
        left = [p for p in left if p.poll() is None or group_alive(p.pid)]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return left


def group_alive(pgid: int) -> bool:
    """Whether a process of the group `pgid` still runs (a zombie waiting to be reaped does not)."""
    if not PROC.joinpath("self", "stat").exists():  # no /proc (macOS): a zombie counts as alive
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # it exited while we looked
            continue
        # After the command's ")": state, ppid, pgrp.
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group exited meanwhile
        os.killpg(pgid, signum)
