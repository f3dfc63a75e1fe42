"""Retention and erasure over every store the gateway's side keeps (issue 13).

The stores: the conversation log (conversations, turns, offered payloads, ratings), Rasa's
tracker (`events`, SQLite at MUNI_RASA_TRACKER_DB or a database URL), the call log, the
SMS-link log, the SMS outbox (JSONL), the booking SANDBOX's contacts, and the audit log.
The daily job deletes what is older than its period; erasure deletes everything linked to one
conversation or one phone number (matched through its keyed hash). SQLite files are written
with `secure_delete` and their WAL checkpointed, so deleted text does not linger in the files.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Float, MetaData, String, Table, and_, delete, exists, func, inspect, not_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from admin.audit import AuditLog
from admin.retention import RetentionPeriods, RetentionSettings
from admin.tables import audit
from conversation.log import conversations, offered_payloads, ratings, turns
from muni.clock import Clock, to_utc
from muni.db import open_engine
from muni.paths import in_var
from sms.links import sms_links
from sms.sender import phone_hash
from voice.calls import voice_calls

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# The columns of Rasa's SQL tracker store that retention and erasure need (Rasa owns the table).
events = Table("events", MetaData(), Column("sender_id", String(255)), Column("timestamp", Float))
Receipt = dict[str, int]  # store -> records deleted (or that would be, in a dry run)


@dataclass(frozen=True)
class DataStores:
    engine: AsyncEngine  # the gateway's database
    hash_key: bytes  # phone numbers' keyed hash (muni.keys)
    tracker: str | None = None  # Rasa's tracker: an SQLite path or a database URL
    outbox: Path | None = None  # the SMS SANDBOX outbox
    sandbox: Path | None = None  # the booking SANDBOX's SQLite file

    @classmethod
    def from_env(cls, engine: AsyncEngine, hash_key: bytes, environ: Mapping[str, str] = os.environ) -> DataStores:
        """MUNI_RASA_TRACKER_DB, MUNI_SMS_OUTBOX and MUNI_BOOKING_SANDBOX_DB, each defaulting to var/."""
        return cls(
            engine=engine,
            hash_key=hash_key,
            tracker=str(in_var(environ, "MUNI_RASA_TRACKER_DB", "rasa_tracker.db")),
            outbox=in_var(environ, "MUNI_SMS_OUTBOX", "sms_outbox.jsonl"),
            sandbox=in_var(environ, "MUNI_BOOKING_SANDBOX_DB", "booking_sandbox.db"),
        )


async def run_retention(stores: DataStores, periods: RetentionPeriods, now: datetime, *, dry_run: bool = False) -> Receipt:
    """Delete what is older than its period in every store; the counts per store."""
    texts = to_utc(now - periods.conversations)
    logs = to_utc(now - periods.calls_and_sms)
    stale = and_(
        conversations.c.started_at < texts,
        not_(exists().where(and_(turns.c.conversation_id == conversations.c.id, turns.c.at >= texts))),
    )
    old_ids = select(conversations.c.id).where(stale)
    receipt: Receipt = {}
    async with stores.engine.begin() as connection:
        await _secure(connection)
        receipt["turns"] = await _delete(connection, turns, turns.c.at < texts, dry_run)
        for table in (offered_payloads, ratings):
            receipt[table.name] = await _delete(connection, table, table.c.conversation_id.in_(old_ids), dry_run)
        receipt["conversations"] = await _delete(connection, conversations, stale, dry_run)
        receipt["voice_calls"] = await _delete(connection, voice_calls, voice_calls.c.started_at < logs, dry_run)
        receipt["sms_links"] = await _delete(connection, sms_links, sms_links.c.created_at < logs, dry_run)
        receipt["audit"] = await _delete(connection, audit, audit.c.at < to_utc(now - periods.audit), dry_run)
    await _checkpoint(stores.engine)
    receipt["tracker_events"] = await _tracker_events(
        stores.tracker, events.c.timestamp < (now - periods.conversations).timestamp(), dry_run
    )
    receipt["sms_outbox"] = await asyncio.to_thread(
        _outbox, stores.outbox, lambda line: datetime.fromisoformat(line["at"]) < now - periods.calls_and_sms, dry_run
    )
    receipt["sandbox_contacts"] = await asyncio.to_thread(
        _sandbox_older, stores.sandbox, now - periods.sandbox_bookings, dry_run
    )
    return receipt


async def erase(stores: DataStores, *, conversation_id: str | None = None, phone: str | None = None) -> Receipt:
    """Delete every record linked to a conversation, or to a phone number (through its keyed hash)."""
    if (conversation_id is None) == (phone is None):
        raise ValueError("name either a conversation or a phone number")
    receipt: Receipt = {}
    number_hash = None if phone is None else phone_hash(phone, stores.hash_key)
    async with stores.engine.begin() as connection:
        await _secure(connection)
        if number_hash is not None:
            linked = await connection.execute(
                select(voice_calls.c.conversation_id).where(voice_calls.c.caller_hash == number_hash)
            )
            ids = [row[0] for row in linked if row[0] is not None]
            receipt["voice_calls"] = await _delete(connection, voice_calls, voice_calls.c.caller_hash == number_hash)
            receipt["sms_links"] = await _delete(connection, sms_links, sms_links.c.recipient_hash == number_hash)
        else:
            assert conversation_id is not None
            ids = [conversation_id]
            receipt["voice_calls"] = await _delete(connection, voice_calls, voice_calls.c.conversation_id == conversation_id)
        for table in (turns, offered_payloads, ratings):
            receipt[table.name] = await _delete(connection, table, table.c.conversation_id.in_(ids))
        receipt["conversations"] = await _delete(connection, conversations, conversations.c.id.in_(ids))
    await _checkpoint(stores.engine)
    receipt["tracker_events"] = await _tracker_events(stores.tracker, events.c.sender_id.in_(ids), False) if ids else 0
    if number_hash is not None:

        def to_number(line: dict[str, Any]) -> bool:
            return line.get("to_hash") == number_hash

        receipt["sms_outbox"] = await asyncio.to_thread(_outbox, stores.outbox, to_number, False)
        receipt["sandbox_bookings"] = await asyncio.to_thread(_sandbox_contact, stores.sandbox, phone or "")
    return receipt


async def _secure(connection: AsyncConnection) -> None:
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("PRAGMA secure_delete = ON")


async def _checkpoint(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def _delete(connection: AsyncConnection, table: Any, where: Any, dry_run: bool = False) -> int:
    if dry_run:
        return int((await connection.execute(select(func.count()).select_from(table).where(where))).scalar_one())
    return int((await connection.execute(delete(table).where(where))).rowcount or 0)


def _sqlite(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10.0)
    connection.execute("PRAGMA secure_delete = ON")
    return connection


async def _tracker_events(location: str | None, where: Any, dry_run: bool) -> int:
    """Rasa's `events` (sender_id = the conversation's id, timestamp in epoch seconds): an SQLite file or a URL."""
    if location is None:
        return 0
    if "://" not in location:
        if not Path(location).is_file():
            return 0
        location = f"sqlite+aiosqlite:///{location}"
    engine = open_engine(location)
    try:
        async with engine.begin() as connection:
            if not await connection.run_sync(lambda sync: inspect(sync).has_table("events")):
                return 0
            await _secure(connection)
            count = await _delete(connection, events, where, dry_run)
        await _checkpoint(engine)
        return count
    finally:
        await engine.dispose()


def _outbox(path: Path | None, goes: Any, dry_run: bool) -> int:
    """Rewrite the JSONL outbox without the lines that go (atomically, so a crash loses nothing)."""
    if path is None or not path.is_file():
        return 0
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = [line for line in lines if not goes(json.loads(line))]
    if not dry_run and len(kept) != len(lines):
        temporary = path.with_suffix(".tmp")
        temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        temporary.replace(path)
    return len(lines) - len(kept)


def _sandbox_older(path: Path | None, cutoff: datetime, dry_run: bool) -> int:
    """Blank the name and contact of sandbox bookings made before `cutoff` (the slot stays taken)."""
    if path is None or not path.is_file():
        return 0
    with closing(_sqlite(path)) as connection:
        rows = connection.execute("SELECT reference, created_at FROM bookings WHERE name != '' OR contact != ''").fetchall()
        old = [reference for reference, created in rows if datetime.fromisoformat(created) < cutoff]
        if not dry_run and old:
            connection.executemany("UPDATE bookings SET name = '', contact = '' WHERE reference = ?", [(r,) for r in old])
            connection.commit()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(old)


def _sandbox_contact(path: Path | None, phone: str) -> int:
    """Delete the sandbox bookings whose contact is this phone number (in any spelling)."""
    digits = re.sub(r"\D", "", phone)[-8:]
    if path is None or not path.is_file() or len(digits) < 8:
        return 0
    with closing(_sqlite(path)) as connection:
        rows = connection.execute("SELECT reference, contact FROM bookings").fetchall()
        mine = [reference for reference, contact in rows if re.sub(r"\D", "", contact).endswith(digits)]
        for reference in mine:
            connection.execute("DELETE FROM units WHERE owner = ?", (reference,))
            connection.execute("DELETE FROM idempotency WHERE reference = ?", (reference,))
            connection.execute("DELETE FROM bookings WHERE reference = ?", (reference,))
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(mine)


RUN_AT = time(3, 0)  # Danish time: the quietest hour
logger = logging.getLogger("muni.gateway.retention")


def seconds_until_next_run(now: datetime) -> float:
    """Seconds from `now` to the next RUN_AT in Copenhagen (never 0: a run just done waits a day)."""
    local = now.astimezone(COPENHAGEN)
    target = datetime.combine(local.date(), RUN_AT, tzinfo=COPENHAGEN)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), RUN_AT, tzinfo=COPENHAGEN)
    return max(60.0, (target - local).total_seconds())


async def run_daily(stores: DataStores, clock: Clock) -> None:
    """The gateway's retention job: every night at RUN_AT, with the periods the consortium admin set; audited."""
    while True:
        await asyncio.sleep(seconds_until_next_run(clock()))
        try:
            now = clock()
            periods = await RetentionSettings(stores.engine).periods()
            receipt = await run_retention(stores, periods, now)
            await AuditLog(stores.engine).record("retention.run", now, deleted=receipt)
            logger.info("Retention: deleted %s", ", ".join(f"{store} {n}" for store, n in receipt.items() if n))
        except Exception:
            logger.exception("The retention job failed; it runs again tomorrow")


class GatewayEraser:
    """The console's erasure (admin.ports.Eraser) over the stores of this gateway; the engine is looked up per call."""

    def __init__(self, stores: Callable[[], DataStores]) -> None:
        self._stores = stores

    async def erase(self, *, conversation_id: str | None = None, phone: str | None = None) -> Receipt:
        return await erase(self._stores(), conversation_id=conversation_id, phone=phone)
