"""The supervisor heals: a dying child is restarted with back-off, a crash loop is given up on,
and a failing output sink never stops the children's output from being drained."""

from __future__ import annotations

import io
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ops.processes import Children, LineSink, RestartPolicy, Service

DIES_AT_ONCE = Service("flaky", [sys.executable, "-c", "import sys; print('starting'); sys.exit(3)"])
RUNS = Service("steady", [sys.executable, "-c", "import time; time.sleep(600)"])


class FakeTime:
    """A clock that sleep() moves on; each sleep also waits (really) for children that are exiting anyway."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.children: Children | None = None
        self.wait_for_exit = True

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.children is not None and self.wait_for_exit:
            for process in self.children.processes.values():
                if process.args is DIES_AT_ONCE.argv:
                    process.wait(timeout=30)


def children_of(
    services: list[Service], fake: FakeTime, tmp_path: Path, grace_s: float = 15.0, **policy: Any
) -> tuple[Children, io.StringIO]:
    out = io.StringIO()
    children = Children(
        services,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        sink=LineSink(out),
        policy=RestartPolicy(**policy),
        clock=fake.clock,
        sleep=fake.sleep,
        grace_s=grace_s,
    )
    fake.children = children
    return children, out


def test_back_off_doubles_to_thirty_seconds() -> None:
    assert [RestartPolicy().delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_dying_child_is_restarted_with_doubling_delays_then_given_up_on(tmp_path: Path) -> None:
    fake = FakeTime()
    children, out = children_of([DIES_AT_ONCE], fake, tmp_path)
    children.start_all()
    try:
        gave_up = children.supervise()
    finally:
        children.stop()

    assert gave_up is not None
    assert (gave_up.name, gave_up.exit_code, gave_up.crashes) == ("flaky", 3, 5)
    starts = children.children["flaky"].starts
    # Each death is seen at the first look after it (0.5 s), then the restart waits its delay.
    assert [round(b - a, 3) for a, b in zip(starts, starts[1:], strict=False)] == [1.5, 2.5, 4.5, 8.5]
    log = out.getvalue()
    for delay in (1, 2, 4, 8):
        assert f"flaky exited with code 3; restarting it in {delay} s" in log
    assert log.count("restarting flaky") == 4
    assert "5 crashes within 120 s; giving up on it" in log
    assert log.count("   flaky | starting") == 5, "the child's own output is copied, prefixed with its name"


def test_crashes_spread_over_more_than_the_window_are_never_given_up_on(tmp_path: Path) -> None:
    fake = FakeTime()
    children, out = children_of([DIES_AT_ONCE], fake, tmp_path, window_s=10.0, max_crashes=3, first_delay_s=6.0, max_delay_s=8.0)
    children.start_all()
    try:
        for _ in range(200):  # fake seconds: well past 3 crashes in any 10 s
            assert children.check() is None
            fake.sleep(0.5)
    finally:
        children.stop()
    assert len(children.children["flaky"].starts) > 6
    assert "giving up" not in out.getvalue()


def test_a_child_that_ran_stably_starts_its_back_off_again(tmp_path: Path) -> None:
    fake = FakeTime()
    fake.wait_for_exit = False
    children, out = children_of([RUNS], fake, tmp_path, stable_after_s=60.0)
    children.start_all()
    child = children.children["steady"]

    def kill_and_restart() -> None:
        assert child.process is not None
        child.process.send_signal(signal.SIGKILL)
        child.process.wait(timeout=10)
        assert children.check() is None  # seen dead
        while child.restart_at is not None:
            fake.sleep(0.5)
            assert children.check() is None

    try:
        kill_and_restart()
        kill_and_restart()
        fake.sleep(61.0)
        assert children.check() is None  # up for a minute: stable again
        kill_and_restart()
    finally:
        children.stop()
    assert re.findall(r"restarting it in (\d+) s", out.getvalue()) == ["1", "2", "1"]
    assert "exited with code -9" in out.getvalue()


class BrokenPipeSink:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


# 1 MB of output, well past a pipe's 64 KiB: the child blocks for good if nobody reads its pipe.
WRITES_A_MEGABYTE = Service(
    "chatty",
    [sys.executable, "-c", "import sys\nfor i in range(16384): sys.stdout.write(f'{i:08d} ' + 'x' * 54 + '\\n')\nsys.exit(0)"],
)


def test_a_broken_sink_never_stops_the_children_being_drained(tmp_path: Path) -> None:
    sink = LineSink(BrokenPipeSink())
    children = Children([WRITES_A_MEGABYTE], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, sink=sink)
    children.start_all()
    process = children.processes["chatty"]
    try:
        assert process.wait(timeout=60) == 0, "the child wrote its megabyte and exited"
    finally:
        children.stop()
    deadline = time.monotonic() + 10
    while sink.dropped < 16384 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sink.broken and sink.dropped == 16384


def test_a_closed_sink_drops_lines_quietly(tmp_path: Path) -> None:
    stream = io.StringIO()
    sink = LineSink(stream)
    sink.write_line("first")
    stream.close()
    sink.write_line("second")
    assert (sink.broken, sink.dropped) == (True, 1)


def test_giving_up_on_the_first_crash_when_told(tmp_path: Path) -> None:
    fake = FakeTime()
    children, _ = children_of([DIES_AT_ONCE], fake, tmp_path, max_crashes=1)
    children.start_all()
    try:
        gave_up = children.supervise()
    finally:
        children.stop()
    assert gave_up is not None and len(children.children["flaky"].starts) == 1


def test_a_child_gets_its_own_variables_on_top_of_the_shared_ones(tmp_path: Path) -> None:
    """A replica's ports: two children of one environment, each with its own MUNI_PORT."""
    show = "import os; print(os.environ['MUNI_PORT'], os.environ['PATH'])"
    services = [Service(f"g{n}", [sys.executable, "-c", show], env={"MUNI_PORT": str(8080 + n)}) for n in (1, 2)]
    children, out = children_of(services, FakeTime(), tmp_path)
    children.start_all()
    for process in children.processes.values():
        process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while out.getvalue().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "g1 | 8081 /usr/bin:/bin" in out.getvalue() and "g2 | 8082 /usr/bin:/bin" in out.getvalue()


# A child that serves from a process of its own, as rasa-sdk's and Rasa's Sanic workers do.
GRANDCHILD = "import os, signal, time\n{ignore}print('grandchild', os.getpid(), flush=True)\ntime.sleep(600)"
PARENT = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {code!r}])\ntime.sleep(600)"


def with_worker(*, ignores_sigterm: bool) -> Service:
    ignore = "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignores_sigterm else ""
    return Service("server", [sys.executable, "-c", PARENT.format(code=GRANDCHILD.format(ignore=ignore))])


def grandchild_pids(out: io.StringIO, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while len(found := re.findall(r"server \| grandchild (\d+)", out.getvalue())) < count:
        assert time.monotonic() < deadline, out.getvalue()
        time.sleep(0.05)
    return [int(pid) for pid in found]


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie that nobody has reaped yet is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def crash_and_heal(children: Children, fake: FakeTime) -> None:
    """Kill -9 the child alone (its worker stays, orphaned) and look until it has been restarted."""
    child = children.children["server"]
    assert child.process is not None
    child.process.kill()
    child.process.wait(timeout=10)
    starts = len(child.starts)
    deadline = time.monotonic() + 30
    while len(child.starts) == starts:
        assert time.monotonic() < deadline, "never restarted"
        assert children.check() is None
        fake.sleep(0.5)
        time.sleep(0.02)  # the signals take real time to land


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see the worker's state")
@pytest.mark.parametrize("ignores_sigterm", [False, True], ids=["worker-ends-on-sigterm", "worker-ignores-sigterm"])
def test_a_childs_own_workers_never_outlive_it(tmp_path: Path, ignores_sigterm: bool) -> None:
    fake = FakeTime()
    fake.wait_for_exit = False
    children, out = children_of([with_worker(ignores_sigterm=ignores_sigterm)], fake, tmp_path, grace_s=1.0)
    children.start_all()
    try:
        [first] = grandchild_pids(out, 1)
        crash_and_heal(children, fake)
        assert not running(first), "the dead child's worker was ended before the child was restarted"
        second = grandchild_pids(out, 2)[1]
        assert running(second)
    finally:
        children.stop()
    assert not running(second), "stopping ends the child's whole process group"
    killed = "remaining processes outlived SIGTERM by 1 s; killing them" in out.getvalue()
    assert killed is ignores_sigterm, out.getvalue()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see the worker's state")
def test_stopping_ends_what_a_dead_child_left_behind(tmp_path: Path) -> None:
    fake = FakeTime()
    children, out = children_of([with_worker(ignores_sigterm=False)], fake, tmp_path)
    children.start_all()
    [worker] = grandchild_pids(out, 1)
    child = children.children["server"]
    assert child.process is not None
    child.process.kill()
    child.process.wait(timeout=10)
    assert running(worker)
    children.stop()  # before any look at the children: the dead one's group is still there
    assert not running(worker)
