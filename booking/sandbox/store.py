"""The sandbox's SQLite store. Every write is one IMMEDIATE transaction, and each 5-minute
unit of a desk is a row under a primary key: two citizens racing for the last time can
never both get it, whatever the server's concurrency."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from booking.model import COPENHAGEN, Booking, BookingNotFound, Hold, HoldExpired, Slot, SlotTaken
from booking.sandbox.calendar import Calendar, units
from muni.db import immediate_transaction

HOLD_TTL = timedelta(minutes=10)
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I
SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    municipality TEXT NOT NULL, location TEXT NOT NULL, desk INTEGER NOT NULL, unit_start TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (municipality, location, desk, unit_start)
);
CREATE INDEX IF NOT EXISTS units_owner ON units (owner);
CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY, municipality TEXT NOT NULL, service TEXT NOT NULL, location TEXT NOT NULL,
    desk INTEGER NOT NULL, start TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bookings (
    reference TEXT PRIMARY KEY, municipality TEXT NOT NULL, service TEXT NOT NULL, location TEXT NOT NULL,
    desk INTEGER NOT NULL, start TEXT NOT NULL, name TEXT NOT NULL, contact TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    municipality TEXT NOT NULL, key TEXT NOT NULL, reference TEXT NOT NULL, PRIMARY KEY (municipality, key)
);
"""


def _reference() -> str:
    return "SB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


@dataclass
class SandboxStore:
    connection: sqlite3.Connection

    @classmethod
    def open(cls, path: Path | str) -> SandboxStore:
        connection = sqlite3.connect(path, isolation_level=None, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        return cls(connection)

    def close(self) -> None:
        self.connection.close()

    def _purge(self, now: datetime) -> None:
        expired = "SELECT id FROM holds WHERE expires_at < ?"
        self.connection.execute(f"DELETE FROM units WHERE owner IN ({expired})", (now.isoformat(),))
        self.connection.execute("DELETE FROM holds WHERE expires_at < ?", (now.isoformat(),))

    def _taken(self, calendar: Calendar, location: str, day: date) -> set[tuple[int, str]]:
        rows = self.connection.execute(
            "SELECT desk, unit_start FROM units WHERE municipality = ? AND location = ? AND unit_start LIKE ?",
            (calendar.municipality, location, f"{day.isoformat()}%"),
        )
        return {(desk, unit) for desk, unit in rows}

    def _free_desks(
        self, calendar: Calendar, location: str, start: datetime, minutes: int, taken: set[tuple[int, str]]
    ) -> list[int]:
        wanted = units(start, minutes)
        return [
            desk
            for desk in range(1, calendar.desks + 1)
            if not any((desk, u.isoformat()) in taken or calendar.taken_by_others(location, desk, u) for u in wanted)
        ]

    def free_slots(self, calendar: Calendar, service_id: str, first: date, last: date, now: datetime) -> list[Slot]:
        service = calendar.services[service_id]
        with immediate_transaction(self.connection):
            self._purge(now)
        found = []
        day = first
        while day <= last:
            for location in calendar.locations:
                taken = self._taken(calendar, location.id, day)
                for start in calendar.starts(service, day):
                    if start > now and self._free_desks(calendar, location.id, start, service.minutes, taken):
                        end = start + timedelta(minutes=service.minutes)
                        found.append(Slot(service_id, location.id, start, end))
            day += timedelta(days=1)
        return found

    def hold(self, calendar: Calendar, slot: Slot, now: datetime) -> Hold:
        service = calendar.services[slot.service_id]
        on_grid = slot.start in set(calendar.starts(service, slot.start.date()))
        if not on_grid or slot.start <= now or slot.location_id not in {loc.id for loc in calendar.locations}:
            raise SlotTaken("not a bookable time")
        hold_id = "H-" + secrets.token_urlsafe(12)
        expires = now + HOLD_TTL
        with immediate_transaction(self.connection) as db:
            self._purge(now)
            taken = self._taken(calendar, slot.location_id, slot.start.date())
            for desk in self._free_desks(calendar, slot.location_id, slot.start, service.minutes, taken):
                try:
                    db.executemany(
                        "INSERT INTO units VALUES (?, ?, ?, ?, ?)",
                        [(calendar.municipality, slot.location_id, desk, u.isoformat(), hold_id)
                         for u in units(slot.start, service.minutes)],
                    )
                except sqlite3.IntegrityError:
                    db.execute("DELETE FROM units WHERE owner = ?", (hold_id,))
                    continue
                db.execute(
                    "INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (hold_id, calendar.municipality, slot.service_id, slot.location_id, desk,
                     slot.start.isoformat(), expires.isoformat()),
                )
                return Hold(hold_id, slot, expires)
        raise SlotTaken("every desk is taken at that time")

    def release(self, calendar: Calendar, hold_id: str) -> None:
        with immediate_transaction(self.connection) as db:
            db.execute("DELETE FROM units WHERE owner = ? AND municipality = ?", (hold_id, calendar.municipality))
            db.execute("DELETE FROM holds WHERE id = ? AND municipality = ?", (hold_id, calendar.municipality))

    def _remembered(self, calendar: Calendar, key: str) -> Booking | None:
        row = self.connection.execute(
            "SELECT reference FROM idempotency WHERE municipality = ? AND key = ?", (calendar.municipality, key)
        ).fetchone()
        return self.lookup(calendar, row[0]) if row else None

    def _take_hold(self, calendar: Calendar, hold_id: str, now: datetime) -> tuple[str, str, int, str]:
        self._purge(now)
        row = self.connection.execute(
            "SELECT service, location, desk, start FROM holds WHERE id = ? AND municipality = ?",
            (hold_id, calendar.municipality),
        ).fetchone()
        if row is None:
            raise HoldExpired("the hold expired or never existed")
        self.connection.execute("DELETE FROM holds WHERE id = ?", (hold_id,))
        return row

    def confirm(
        self, calendar: Calendar, hold_id: str, name: str, contact: str, key: str, now: datetime
    ) -> tuple[Booking, bool]:
        """The booking, and whether it was made now (False: an earlier request with the same key made it)."""
        with immediate_transaction(self.connection) as db:
            if (earlier := self._remembered(calendar, key)) is not None:
                return earlier, False
            service, location, desk, start = self._take_hold(calendar, hold_id, now)
            reference = _reference()
            db.execute(
                "INSERT INTO bookings VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', ?)",
                (reference, calendar.municipality, service, location, desk, start, name, contact, now.isoformat()),
            )
            db.execute("UPDATE units SET owner = ? WHERE owner = ?", (reference, hold_id))
            db.execute("INSERT INTO idempotency VALUES (?, ?, ?)", (calendar.municipality, key, reference))
        return self.lookup(calendar, reference), True

    def move(self, calendar: Calendar, reference: str, hold_id: str, key: str, now: datetime) -> Booking:
        with immediate_transaction(self.connection) as db:
            if (earlier := self._remembered(calendar, key)) is not None:
                return earlier
            booking = self.lookup(calendar, reference)
            if booking.status != "confirmed":
                raise BookingNotFound(reference)
            service, location, desk, start = self._take_hold(calendar, hold_id, now)
            db.execute("DELETE FROM units WHERE owner = ?", (reference,))
            db.execute("UPDATE units SET owner = ? WHERE owner = ?", (reference, hold_id))
            db.execute(
                "UPDATE bookings SET service = ?, location = ?, desk = ?, start = ? WHERE reference = ?",
                (service, location, desk, start, reference),
            )
            db.execute("INSERT INTO idempotency VALUES (?, ?, ?)", (calendar.municipality, key, reference))
        return self.lookup(calendar, reference)

    def cancel(self, calendar: Calendar, reference: str) -> Booking:
        with immediate_transaction(self.connection) as db:
            self.lookup(calendar, reference)
            db.execute("DELETE FROM units WHERE owner = ?", (reference,))
            db.execute("UPDATE bookings SET status = 'cancelled' WHERE reference = ?", (reference,))
        return self.lookup(calendar, reference)

    def lookup(self, calendar: Calendar, reference: str) -> Booking:
        row = self.connection.execute(
            "SELECT service, location, start, status FROM bookings WHERE reference = ? AND municipality = ?",
            (reference, calendar.municipality),
        ).fetchone()
        if row is None:
            raise BookingNotFound(reference)
        service, location, start, status = row
        begins = datetime.fromisoformat(start).astimezone(COPENHAGEN)
        minutes = calendar.services[service].minutes if service in calendar.services else 15
        return Booking(reference, service, location, begins, begins + timedelta(minutes=minutes), status, sandbox=True)

    def count_bookings(self) -> int:
        return self.connection.execute("SELECT count(*) FROM bookings WHERE status = 'confirmed'").fetchone()[0]
