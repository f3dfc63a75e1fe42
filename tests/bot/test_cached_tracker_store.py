"""bot/cached_tracker_store.py: the saved tracker is handed out again only while the database has nothing newer.

Each test runs a script in Rasa's environment against Rasa's real SQL tracker store, on a SQLite
file and on a throwaway PostgreSQL database: two cached stores stand for two Rasa replicas, and
Rasa's own store reads what they wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason=f"no Rasa at {RASA_PYTHON} (make setup builds it)")

# The stores, then one scenario; what each step saw is printed as JSON on the last line.
SCRIPT = r"""
import asyncio, json, runpy, sys
from rasa.core import tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

config, scenario = json.loads(sys.argv[1]), sys.argv[3]
RasasStore = tracker_store.SQLTrackerStore
runpy.run_path(sys.argv[2])["install_tracker_store"]()
domain = Domain.load("bot/domain")
store = lambda cls, **extra: cls(domain=domain, **config, **extra)
replica_a, replica_b, rasas = store(tracker_store.SQLTrackerStore), store(tracker_store.SQLTrackerStore), store(RasasStore)

counted = []  # Rasa's count of the stored events, which the kept tracker makes unneeded
count = RasasStore._additional_events
RasasStore._additional_events = lambda self, *a: (counted.append(1), count(self, *a))[1]
rebuilt = []
from_dict = DialogueStateTracker.from_dict.__func__
DialogueStateTracker.from_dict = classmethod(lambda cls, *a, **k: (rebuilt.append(1), from_dict(cls, *a, **k))[1])

def turn(text, intent, answer):
    return [UserUttered(text, intent={"name": intent, "confidence": 1.0}), ActionExecuted("utter_answer"),
            BotUttered(answer), ActionExecuted("action_listen")]

def said(tracker):
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]

def applied(tracker):
    return [event.as_dict() for event in tracker.applied_events()]

async def first_turn(store, sender="c1"):
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                                ActionExecuted("action_listen"), *turn("hej", "greet", "Hej")], domain)
    await store.save(tracker)
    return tracker

async def next_turn(store, text, sender="c1"):
    tracker = await store.retrieve(sender)
    tracker.update_with_events(turn(text, "ask", "svar"), domain)
    tracker.update_with_events([SlotSet("failed_turns", 1.0)], domain)
    await store.save(tracker)
    return tracker

async def main():
    seen = {}
    if scenario == "same_replica":
        saved = await first_turn(replica_a)
        seen["counted_for_a_new_conversation"] = len(counted)  # once, for the empty tracker Rasa creates
        rebuilt.clear()
        again = await replica_a.retrieve("c1")
        seen["handed_out_again"] = again is saved
        seen["rebuilt_on_hit"] = len(rebuilt)
        await next_turn(replica_a, "pas")
        from_database = await rasas.retrieve("c1")
        seen["rasa_reads"] = said(from_database)
        seen["applied_events_equal"] = applied(from_database) == applied(await replica_a.retrieve("c1"))
        seen["slot"] = from_database.get_slot("failed_turns")
        seen["events_stored"] = len(from_database.events)
        seen["events_in_tracker"] = len((await replica_a.retrieve("c1")).events)
        seen["counted"] = len(counted)
    elif scenario == "other_replica":
        await first_turn(replica_a)
        kept = await next_turn(replica_a, "pas")
        await next_turn(replica_b, "tak")  # the next turn lands on the other replica
        rebuilt.clear()
        back = await replica_a.retrieve("c1")
        seen["rebuilt"] = len(rebuilt)
        seen["stale_handed_out"] = back is kept
        seen["replica_a_reads"] = said(back)
        await next_turn(replica_a, "farvel")
        seen["rasa_reads"] = said(await rasas.retrieve("c1"))
    elif scenario == "unsaved_change":
        await first_turn(replica_a)
        half = await replica_a.retrieve("c1")
        half.update_with_events(turn("fejl", "ask", "aldrig gemt"), domain)  # the turn failed before save
        seen["after_failed_turn"] = said(await replica_a.retrieve("c1"))
    elif scenario == "second_session":
        tracker = await first_turn(replica_a)
        tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                                    ActionExecuted("action_listen"), *turn("igen", "greet", "Hej igen")], domain)
        await replica_a.save(tracker)
        rebuilt.clear()
        latest = await replica_a.retrieve("c1")
        seen["rebuilt"] = len(rebuilt)
        seen["reads"] = said(latest)
        seen["matches_rasa"] = [e.as_dict() for e in latest.events] == [e.as_dict() for e in (await rasas.retrieve("c1")).events]
    elif scenario == "deleted":
        await first_turn(replica_a)
        with replica_a.session_scope() as session:
            session.execute(replica_a.SQLEvent.__table__.delete())
            session.commit()
        seen["after_delete"] = await replica_a.retrieve("c1")
    elif scenario == "bounded":
        small = store(tracker_store.SQLTrackerStore, cached_conversations=2)
        for sender in ("c1", "c2", "c3"):
            await first_turn(small, sender)
        rebuilt.clear()
        for sender in ("c3", "c2", "c1"):
            await small.retrieve(sender)
        seen["rebuilt"] = len(rebuilt)
    elif scenario == "sqlite_connections":
        opened = {"cached": 0, "rasa": 0}
        import sqlalchemy as sa
        sa.event.listen(replica_a.engine, "connect", lambda *a: opened.__setitem__("cached", opened["cached"] + 1))
        sa.event.listen(rasas.engine, "connect", lambda *a: opened.__setitem__("rasa", opened["rasa"] + 1))
        await first_turn(replica_a)
        for text in ("pas", "tak", "farvel"):
            await next_turn(replica_a, text)
        await first_turn(rasas, "c2")
        await next_turn(rasas, "pas", "c2")
        with replica_a.engine.connect() as connection:
            seen["journal_mode"] = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            seen["synchronous"] = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        seen["opened"] = opened
        seen["rasa_reads"] = said(await rasas.retrieve("c1"))
    elif scenario == "killed":
        await first_turn(replica_a)
        await next_turn(replica_a, "pas")
        print(json.dumps(seen), flush=True)
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint: as `kill -9` of Rasa
    elif scenario == "read":
        seen["rasa_reads"] = said(await rasas.retrieve("c1"))
    print(json.dumps(seen))

asyncio.run(main())
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db")}
    url = make_url(request.getfixturevalue("postgres_url"))
    return {"dialect": "postgresql", "host": url.host, "port": url.port or 5432, "db": url.database,
            "username": url.username, "password": url.password}


def run(config: dict[str, Any], scenario: str, returncode: int = 0) -> dict[str, Any]:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, json.dumps(config), str(ROOT / "bot" / "rasa_main.py"), scenario],
        cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == returncode, result.stderr[-4000:]
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


def test_the_next_turn_gets_the_saved_tracker_without_a_rebuild_and_the_database_has_every_event(
    store_config: dict[str, Any],
) -> None:
    seen = run(store_config, "same_replica")
    assert seen["handed_out_again"] is True
    assert seen["rebuilt_on_hit"] == 0
    assert seen["rasa_reads"] == ["hej", "pas"]  # Rasa's own store reads what the cached one wrote
    assert seen["slot"] == 1.0
    assert seen["applied_events_equal"] is True  # what the policies see is the same either way
    # Rasa's own store leaves out the action_session_start before the session's start: the one event
    # the kept tracker has beyond it, as a new tracker in Rasa has on its first turn.
    assert seen["events_in_tracker"] == seen["events_stored"] + 1
    assert seen["counted_for_a_new_conversation"] == 1
    assert seen["counted"] == 1  # the saves of kept trackers knew what was stored


def test_a_turn_on_another_replica_makes_the_first_rebuild_from_the_database(store_config: dict[str, Any]) -> None:
    seen = run(store_config, "other_replica")
    assert seen["stale_handed_out"] is False
    assert seen["rebuilt"] == 1
    assert seen["replica_a_reads"] == ["hej", "pas", "tak"]
    assert seen["rasa_reads"] == ["hej", "pas", "tak", "farvel"]  # nothing written twice, nothing lost


def test_a_tracker_changed_and_not_saved_is_not_handed_out(store_config: dict[str, Any]) -> None:
    assert run(store_config, "unsaved_change")["after_failed_turn"] == ["hej"]


def test_a_tracker_with_two_sessions_is_read_as_rasa_reads_it_the_latest_session(store_config: dict[str, Any]) -> None:
    seen = run(store_config, "second_session")
    assert seen["rebuilt"] == 1
    assert seen["reads"] == ["igen"]
    assert seen["matches_rasa"] is True


def test_a_conversation_deleted_from_the_database_is_gone(store_config: dict[str, Any]) -> None:
    assert run(store_config, "deleted")["after_delete"] is None


def test_only_the_most_recent_conversations_are_kept(tmp_path: Path) -> None:
    seen = run({"dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db")}, "bounded")
    assert seen["rebuilt"] == 1  # c3 and c2 kept, c1 (least recent) rebuilt


def test_on_sqlite_the_store_keeps_its_connections_open_in_wal_mode(tmp_path: Path) -> None:
    seen = run({"dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db")}, "sqlite_connections")
    assert seen["journal_mode"] == "wal"
    assert seen["synchronous"] == 1  # NORMAL: no disk sync on every commit, only at checkpoints
    assert seen["opened"]["cached"] == 1  # four turns on one connection from the pool
    assert seen["opened"]["rasa"] >= 6  # Rasa's own store: a new connection for every query
    assert seen["rasa_reads"] == ["hej", "pas", "tak", "farvel"]


def test_on_sqlite_every_saved_turn_survives_kill_9(tmp_path: Path) -> None:
    config = {"dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db")}
    run(config, "killed", returncode=-9)
    assert run(config, "read")["rasa_reads"] == ["hej", "pas"]
