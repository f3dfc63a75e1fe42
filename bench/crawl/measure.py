"""Runs a command as a child process and measures its wall time and the peak memory of its process tree.

Memory is sampled from /proc every 100 ms: the VmRSS of the child and all its
descendants (worker processes included), summed, and the peak of that sum kept.
Pages shared between processes count once per process, so the sum is an upper
bound. The largest single process's high-water mark (VmHWM) is kept too: not
`ru_maxrss`, which Linux carries over from the parent at fork and exec, so a
child of a large process (a test run that loaded torch) would report the parent.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_INTERVAL_S = 0.1
PROC = Path("/proc")


@dataclass(frozen=True)
class Run:
    returncode: int
    wall_s: float
    peak_tree_rss_kib: int  # peak of the summed VmRSS of the process tree
    max_rss_kib: int  # the largest single process of the tree (its VmHWM, sampled)
    output: str


def measure(command: Sequence[str], *, env: Mapping[str, str] | None = None, timeout_s: float = 3600.0) -> Run:
    """Runs `command` to its end (killed after `timeout_s`), sampling its tree's memory meanwhile."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), env=None if env is None else dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    peak = largest = 0
    while True:
        pid, status, _ = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        tree = descendants(process.pid)
        peak = max(peak, sum(_status_kib(p, "VmRSS:") for p in tree))
        largest = max(largest, *(_status_kib(p, "VmHWM:") for p in tree))
        if time.perf_counter() - started > timeout_s:
            process.kill()
        time.sleep(SAMPLE_INTERVAL_S)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=10)
    return Run(
        returncode=process.returncode,
        wall_s=wall,
        peak_tree_rss_kib=peak,
        max_rss_kib=largest,
        output=b"".join(output).decode("utf-8", errors="replace"),
    )


def tree_rss_kib(root: int) -> int:
    """Summed VmRSS of `root` and its descendants; 0 for processes that are gone."""
    return sum(_status_kib(pid, "VmRSS:") for pid in descendants(root))


def descendants(root: int) -> list[int]:
    """`root` and every process below it."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(_children(pid))
    return found


def _children(pid: int) -> list[int]:
    """From /proc/PID/task/*/children (cheap); a scan of every process's parent where the kernel lacks it."""
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return []  # exited while we looked
    if not (tasks[0] / "children").exists():
        return _children_by_scan(pid)
    children: list[int] = []
    for task in tasks:
        try:
            children.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue  # the thread ended while we looked
    return children


def _children_by_scan(parent: int) -> list[int]:
    children = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name may hold spaces and parentheses: fields start after the last ")".
        if int(stat[stat.rindex(")") + 2 :].split(" ", 2)[1]) == parent:
            children.append(int(entry.name))
    return children


def _status_kib(pid: int, field: str) -> int:
    """A memory figure (VmRSS:, VmHWM:) from /proc/PID/status; 0 for a process that is gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0  # a zombie has no memory lines
