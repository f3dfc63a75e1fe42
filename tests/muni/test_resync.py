"""The scheduled re-sync runs crawl, then index, then suggest, and never lets a failure stop the stack."""
from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from ops.resync import Resync, ResyncSchedule


def _script(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_off_unless_hours_are_given() -> None:
    assert ResyncSchedule.from_env({}, Path("python")).every_s == 0
    schedule = ResyncSchedule.from_env({"MUNI_RESYNC_HOURS": "6"}, Path("/venv/bin/python"))
    assert schedule.every_s == 6 * 3600
    assert [argv[3:] for argv in schedule.commands] == [("crawl", "--all"), ("index",), ("suggest", "--all")]
    assert all(argv[:3] == ("/venv/bin/python", "-m", "ops.cli") for argv in schedule.commands)


@pytest.mark.parametrize("raw", ["soon", "-1"])
def test_a_bad_interval_is_named(raw: str) -> None:
    with pytest.raises(SystemExit, match="MUNI_RESYNC_HOURS"):
        ResyncSchedule.from_env({"MUNI_RESYNC_HOURS": raw}, Path("python"))


def test_runs_the_commands_in_order_and_logs_their_output(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    schedule = ResyncSchedule(
        every_s=3600,
        commands=(
            _script(f"open({str(marks)!r}, 'a').write('crawl\\n'); print('crawled 12 pages')"),
            _script(f"open({str(marks)!r}, 'a').write('index\\n')"),
        ),
    )
    log = io.StringIO()
    assert Resync(schedule, cwd=tmp_path, env={}, log_sink=log).run_once() is True
    assert marks.read_text().split() == ["crawl", "index"]
    assert "  resync | crawled 12 pages" in log.getvalue()


def test_a_failed_crawl_is_logged_and_what_was_stored_is_still_indexed(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    schedule = ResyncSchedule(
        every_s=3600,
        commands=(_script("import sys; sys.exit(1)"), _script(f"open({str(marks)!r}, 'w').write('index')")),
    )
    log = io.StringIO()
    assert Resync(schedule, cwd=tmp_path, env={}, log_sink=log).run_once() is False
    assert marks.read_text() == "index"
    assert "failed with exit code 1" in log.getvalue()


def test_the_thread_repeats_on_its_interval_until_stopped(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    schedule = ResyncSchedule(every_s=0.2, commands=(_script(f"open({str(marks)!r}, 'a').write('x')"),))
    resync = Resync(schedule, cwd=tmp_path, env={}, log_sink=io.StringIO())
    resync.start()
    deadline = time.monotonic() + 20
    while resync.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    resync.stop()
    assert resync.runs >= 2
    assert len(marks.read_text()) >= 1
