"""Scheduled re-sync of the websites' knowledge, run beside the stack by `make run`.

Every ``MUNI_RESYNC_HOURS`` hours (off when unset or 0) the supervisor runs
``muni crawl --all``, ``muni index`` and ``muni suggest --all`` (the suggested local values for
the console) as child processes. The crawl only
fetches what changed (sitemap lastmod, conditional requests) and the index run
publishes a new generation, so the assistant keeps answering throughout
(knowledge/index/README.md). The index runs even when the crawl failed (one
site down makes `muni crawl --all` exit 1): it indexes what the crawl stores
hold, and a crawl never removes a stored page for an error. A failure is logged
and retried at the next interval; it never stops the stack.
"""
from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ops.processes import TextSink

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class ResyncSchedule:
    every_s: float  # 0: never
    commands: tuple[tuple[str, ...], ...]

    @classmethod
    def from_env(cls, environ: Mapping[str, str], python: Path) -> ResyncSchedule:
        raw = environ.get("MUNI_RESYNC_HOURS", "0").strip() or "0"
        try:
            hours = float(raw)
        except ValueError:
            raise SystemExit(f"MUNI_RESYNC_HOURS must be a number of hours (0 = off), got {raw!r}") from None
        if hours < 0:
            raise SystemExit(f"MUNI_RESYNC_HOURS must not be negative, got {raw!r}")
        cli = (str(python), "-m", "ops.cli")
        commands = ((*cli, "crawl", "--all"), (*cli, "index"), (*cli, "suggest", "--all"))
        return cls(every_s=hours * SECONDS_PER_HOUR, commands=commands)


class Resync:
    """A daemon thread that runs the schedule's commands one after another, every interval."""

    def __init__(self, schedule: ResyncSchedule, *, cwd: Path, env: Mapping[str, str], log_sink: TextSink) -> None:
        self.schedule = schedule
        self.cwd = cwd
        self.env = dict(env)
        self.log_sink = log_sink
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self.schedule.every_s <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="resync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stopped.wait(self.schedule.every_s):
            self.run_once()

    def run_once(self) -> bool:
        """Each command in turn, whatever the one before did (failures logged). True when all succeeded."""
        self.runs += 1
        results = [self._run(argv) for argv in self.schedule.commands]
        return all(results)

    def _run(self, argv: Sequence[str]) -> bool:
        self._log(f"running {' '.join(argv[2:])}")
        completed = subprocess.run(
            list(argv), cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
        )
        for line in completed.stdout.decode(errors="replace").splitlines()[-20:]:
            self._log(line)
        if completed.returncode != 0:
            self._log(f"{' '.join(argv[2:])} failed with exit code {completed.returncode}; retrying next interval")
            return False
        return True

    def _log(self, line: str) -> None:
        self.log_sink.write(f"{'resync':>8} | {line}\n")
        self.log_sink.flush()
