"""`python -m actions` stops quietly on SIGTERM: no traceback, no task left pending, nothing left running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conversation.schema import upgrade_database
from muni.db import open_engine
from muni.paths import ROOT
from ops.processes import group_alive
from tests.support.ports import free_port

SECRET = "an-action-server-test-secret-of-40-chars"


def migrated(url: str) -> str:
    async def upgrade() -> None:
        engine = open_engine(url)
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    return url


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def test_sigterm_to_its_process_group_stops_the_action_server_without_a_traceback(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUNI_")}
    env.update(
        MUNI_SECRET_KEY=SECRET,
        MUNI_DATABASE_URL=migrated(f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}"),
        MUNI_INDEX_DIR=str(tmp_path / "index"),
        MUNI_CONTENT_POLL_S="0.2",  # the follower is mid-poll, with a database connection, when the signal lands
        SANIC_HOST="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    # As the supervisor starts it: its own session, stopped by a signal to the whole group.
    server = subprocess.Popen(
        [sys.executable, "-m", "actions", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not answers(f"http://127.0.0.1:{port}/health"):
            assert server.poll() is None and time.monotonic() < deadline, "the action server did not start"
            time.sleep(0.2)
        time.sleep(1.0)  # a few polls of the published values
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    text = output.decode(errors="replace")
    assert server.returncode == 0, text
    assert "Worker complete" in text, text
    for noise in ("Traceback", "Task was destroyed", "Event loop", "Exception closing connection"):
        assert noise not in text, text
    assert not group_alive(server.pid), "no worker process outlives the action server"
