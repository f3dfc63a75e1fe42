"""Retention and erasure across every store, with a clock the test sets: nothing older than its period remains,
and an erased conversation or number leaves no trace in any file under var/ (SQLite WAL files included)."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.audit import AuditLog
from admin.retention import RetentionPeriods, RetentionSettings
from admin.tables import audit
from booking.sandbox.store import SCHEMA as SANDBOX_SCHEMA
from conversation.log import ConversationLog, ConversationRecord, TurnRecord, conversations, ratings, turns
from conversation.schema import upgrade_database
from gateway.retention import DataStores, erase, run_retention, seconds_until_next_run
from muni.db import open_engine
from ops import cli
from sms.links import SmsLinkLog, SmsLinkRecord, sms_links
from sms.sender import OutboxSmsSender, mask_number, phone_hash
from voice.calls import CallLog, voice_calls

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
KEY = b"k" * 32
SECRET = "retention-test-" + "s" * 40
NUMBER = "+4531415926"
TRACKER_SCHEMA = "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, data TEXT)"


@dataclass
class Var:
    root: Path
    engine: AsyncEngine
    stores: DataStores


@pytest.fixture
async def var(tmp_path: Path) -> AsyncIterator[Var]:
    root = tmp_path / "var"
    root.mkdir()
    engine = open_engine(f"sqlite+aiosqlite:///{root / 'muni.db'}")
    await upgrade_database(engine)
    with sqlite3.connect(root / "rasa_tracker.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(TRACKER_SCHEMA)
    with sqlite3.connect(root / "booking_sandbox.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SANDBOX_SCHEMA)
    stores = DataStores(
        engine, KEY, tracker=str(root / "rasa_tracker.db"), outbox=root / "sms_outbox.jsonl", sandbox=root / "booking_sandbox.db"
    )
    yield Var(root, engine, stores)
    await engine.dispose()


async def _conversation(var: Var, at: datetime, text: str, *, channel: str = "web", rating: int | None = None) -> str:
    log = ConversationLog(var.engine)
    conversation_id = str(uuid.uuid4())
    await log.start_conversation(ConversationRecord(conversation_id, "aarhus", channel, at))
    await log.add_turns([TurnRecord(conversation_id, at, "user", text), TurnRecord(conversation_id, at, "bot", "Svar: " + text)])
    if rating is not None:
        await log.record_rating(conversation_id, rating, at)
    with sqlite3.connect(var.root / "rasa_tracker.db") as db:
        db.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
                   (conversation_id, at.timestamp(), json.dumps({"text": text})))
    return conversation_id


async def _call(var: Var, at: datetime, conversation_id: str | None, number: str = NUMBER) -> None:
    calls = CallLog(var.engine)
    sid = "CA" + uuid.uuid4().hex
    await calls.start(sid, "aarhus", at)
    if conversation_id is not None:
        await calls.set_conversation(sid, conversation_id)
    await calls.record_turn(sid, "passport", False, {})
    assert await calls.claim_survey(sid, phone_hash(number, KEY), at)  # the caller's hash comes with the survey SMS


async def _sms(var: Var, at: datetime, number: str = NUMBER) -> None:
    outbox = OutboxSmsSender(var.stores.outbox or Path(), KEY, now=lambda: at)
    await outbox.send(number, f"Hej. Link sendt {at.date()}", idempotency_key=uuid.uuid4().hex)
    await SmsLinkLog(var.engine).claim(SmsLinkRecord(
        key_name="hotline", idempotency_key=uuid.uuid4().hex, fingerprint="f" * 64, recipient_hash=phone_hash(number, KEY),
        recipient_masked=mask_number(number), municipality="aarhus", topic="passport", created_at=at,
    ))


def _booking(var: Var, at: datetime, contact: str) -> None:
    with sqlite3.connect(var.root / "booking_sandbox.db") as db:
        db.execute("INSERT INTO bookings VALUES (?, 'aarhus', 'passport', 'dokk1', 1, ?, 'Anne Kanariefugl', ?, 'confirmed', ?)",
                   ("SB-" + uuid.uuid4().hex[:6], at.isoformat(), contact, at.isoformat()))


async def _count(var: Var, table: Table, where: ColumnElement[bool] | None = None) -> int:
    query = select(func.count()).select_from(table)
    if where is not None:
        query = query.where(where)
    async with var.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


def _files(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


async def test_after_the_job_nothing_older_than_its_period_remains(var: Var) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    old_id = await _conversation(var, old, "gammel kanariefugl", rating=8)
    recent_id = await _conversation(var, recent, "ny samtale", rating=9)
    await _call(var, old, old_id)
    await _call(var, recent, recent_id)
    await _sms(var, old)
    await _sms(var, recent)
    _booking(var, NOW - timedelta(days=8), "31415926")
    _booking(var, NOW - timedelta(days=6), "20202020")
    await AuditLog(var.engine).record("login", NOW - timedelta(days=731))
    await AuditLog(var.engine).record("login", NOW - timedelta(days=700))

    dry = await run_retention(var.stores, RetentionPeriods(), NOW, dry_run=True)
    assert await _count(var, turns) == 4  # a dry run deletes nothing
    receipt = await run_retention(var.stores, RetentionPeriods(), NOW)
    assert receipt == dry
    assert receipt == {
        "turns": 2, "offered_payloads": 0, "ratings": 1, "conversations": 1, "voice_calls": 1, "sms_links": 1,
        "audit": 1, "tracker_events": 1, "sms_outbox": 1, "sandbox_contacts": 1,
    }
    assert await _count(var, turns, turns.c.at < NOW - timedelta(days=30)) == 0
    assert await _count(var, conversations) == 1 and await _count(var, ratings) == 1
    assert await _count(var, voice_calls) == 1 and await _count(var, sms_links) == 1 and await _count(var, audit) == 1
    with sqlite3.connect(var.root / "rasa_tracker.db") as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [(recent_id,)]
    lines = (var.root / "sms_outbox.jsonl").read_text().splitlines()
    assert len(lines) == 1 and str(recent.date()) in lines[0]
    with sqlite3.connect(var.root / "booking_sandbox.db") as db:
        assert sorted(db.execute("SELECT contact FROM bookings").fetchall()) == [("",), ("20202020",)]
    assert b"gammel kanariefugl" not in _files(var.root) and b"31415926" not in _files(var.root)
    # Run again the next day: what was kept is now older than its period for some stores only.
    assert (await run_retention(var.stores, RetentionPeriods(), NOW + timedelta(days=2)))["conversations"] == 1


async def test_periods_set_by_the_consortium_admin_are_used(var: Var) -> None:
    settings = RetentionSettings(var.engine)
    await settings.set("conversations", 7, NOW, by=None)
    await settings.set("conversations", 10, NOW, by=None)
    periods = await settings.periods()
    assert periods.conversations == timedelta(days=10) and periods.audit == timedelta(days=730)
    await _conversation(var, NOW - timedelta(days=11), "elleve dage")
    await _conversation(var, NOW - timedelta(days=9), "ni dage")
    assert (await run_retention(var.stores, periods, NOW))["conversations"] == 1
    with pytest.raises(ValueError):
        await settings.set("conversations", 0, NOW, by=None)
    with pytest.raises(ValueError):
        await settings.set("everything", 5, NOW, by=None)


async def test_erasing_a_conversation_leaves_no_trace_of_its_canary_under_var(var: Var) -> None:
    canary = "KANARIE-7f3a9c samtaletekst"
    gone = await _conversation(var, NOW, canary, rating=7)
    kept = await _conversation(var, NOW, "en anden borger")
    await _call(var, NOW, gone)
    assert canary.encode() in _files(var.root)
    receipt = await erase(var.stores, conversation_id=gone)
    assert receipt == {"voice_calls": 1, "turns": 2, "offered_payloads": 0, "ratings": 1, "conversations": 1, "tracker_events": 1}
    assert canary.encode() not in _files(var.root)
    assert b"en anden borger" in _files(var.root)
    assert await ConversationLog(var.engine).conversation(kept) is not None


async def test_erasing_a_phone_number_deletes_every_linked_record(var: Var) -> None:
    canary = "KANARIE-opkald 42"
    linked = await _conversation(var, NOW, canary, channel="voice")
    await _call(var, NOW, linked)
    await _sms(var, NOW)
    await _sms(var, NOW, "+4520202020")
    _booking(var, NOW, "+45 31 41 59 26")
    receipt = await erase(var.stores, phone="31 41 59 26")
    assert receipt == {
        "voice_calls": 1, "sms_links": 1, "turns": 2, "offered_payloads": 0, "ratings": 0, "conversations": 1,
        "tracker_events": 1, "sms_outbox": 1, "sandbox_bookings": 1,
    }
    files = _files(var.root)
    assert canary.encode() not in files and phone_hash(NUMBER, KEY).encode() not in files and b"31 41 59 26" not in files
    assert phone_hash("+4520202020", KEY).encode() in files


def test_the_command_line_runs_and_audits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUNI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MUNI_SECRET_KEY", SECRET)
    monkeypatch.delenv("MUNI_DATABASE_URL", raising=False)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    assert cli.main(["retention", "run", "--dry-run"]) == 0
    assert "Ville slette" in out.getvalue() and "turns: 0" in out.getvalue()
    assert cli.main(["erase", "--phone", "31 41 59 26"]) == 0
    assert "Kvittering" in out.getvalue()
    assert cli.main(["erase", "--phone", "ikke et nummer"]) == 2
    assert cli.main(["retention", "run"]) == 0
    with sqlite3.connect(tmp_path / "muni.db") as db:
        entries = db.execute("SELECT action, details FROM admin_audit ORDER BY id").fetchall()
    assert [action for action, _ in entries] == ["data.erased", "retention.run"]
    assert json.loads(entries[0][1])["phone"] == "+45…26" and "31415926" not in entries[0][1]


def test_the_gateway_runs_the_job_nightly_at_three_danish_time() -> None:
    assert seconds_until_next_run(NOW) == 14 * 3600  # 13:00 in Copenhagen → 03:00 the next night
    summer = datetime(2026, 7, 1, 0, 30, tzinfo=UTC)  # 02:30 in Copenhagen (UTC+2)
    assert seconds_until_next_run(summer) == 30 * 60
    assert seconds_until_next_run(datetime(2026, 12, 6, 2, 0, tzinfo=UTC)) == 24 * 3600  # just ran: tomorrow


async def test_a_tracker_named_by_a_database_url_is_cleaned_too(var: Var) -> None:
    # Production keeps Rasa's tracker in PostgreSQL: the same SQL through a database URL.
    by_url = DataStores(var.engine, KEY, tracker=f"sqlite+aiosqlite:///{var.root / 'rasa_tracker.db'}")
    await _conversation(var, NOW - timedelta(days=40), "gammel")
    kept = await _conversation(var, NOW, "ny")
    assert (await run_retention(by_url, RetentionPeriods(), NOW))["tracker_events"] == 1
    assert (await erase(by_url, conversation_id=kept))["tracker_events"] == 1
    with sqlite3.connect(var.root / "rasa_tracker.db") as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
