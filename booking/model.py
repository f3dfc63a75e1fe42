"""The booking port: typed values, small domain errors and the interface every backend offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")  # citizen services keep Danish local time


@dataclass(frozen=True)
class Service:
    id: str  # a topic-like id: passport, driving_licence, mitid, health_card, ...
    name: str  # Danish, as the citizen sees it
    minutes: int


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    address: str


@dataclass(frozen=True)
class Slot:
    """A free time for a service at a location (the backend picks the desk)."""

    service_id: str
    location_id: str
    start: datetime  # aware, Europe/Copenhagen
    end: datetime

    @property
    def key(self) -> str:
        """A stable text key: what the conversation keeps between turns."""
        return f"{self.location_id}@{self.start.isoformat()}"


@dataclass(frozen=True)
class Hold:
    id: str
    slot: Slot
    expires_at: datetime


@dataclass(frozen=True)
class Booking:
    reference: str
    service_id: str
    location_id: str
    start: datetime
    end: datetime
    status: str  # "confirmed" or "cancelled"
    sandbox: bool = False


class BookingError(Exception):
    """Something the booking backend said no to, or could not answer."""


class BookingUnavailable(BookingError):
    """The backend timed out, failed, throttled us or answered nonsense: the citizen books elsewhere."""


class OutcomeUnknown(BookingUnavailable):
    """A confirm or move may have reached the backend but no answer came: it may have gone through.

    Never tell the citizen it failed (they would book twice elsewhere): a repeat with the same
    Idempotency-Key returns the first result, so the outcome is checked by the key, not guessed.
    """


class SlotTaken(BookingError):
    """Someone else got the time first: offer new times."""


class HoldExpired(SlotTaken):
    """The held time was released before it was confirmed."""


class BookingNotFound(BookingError):
    """No booking with that reference (or it belongs to another municipality)."""


class BookingPort(Protocol):
    """What Muni needs from a municipality's booking system."""

    async def services(self) -> list[Service]: ...

    async def locations(self) -> list[Location]: ...

    async def days(self, service_id: str, first: date, last: date) -> list[date]: ...

    async def slots(self, service_id: str, first: date, last: date) -> list[Slot]: ...

    async def hold(self, slot: Slot) -> Hold: ...

    async def release(self, hold_id: str) -> None: ...

    async def confirm(self, hold_id: str, name: str, contact: str, idempotency_key: str) -> Booking: ...

    async def move(self, reference: str, hold_id: str, idempotency_key: str) -> Booking: ...

    async def cancel(self, reference: str) -> Booking: ...

    async def lookup(self, reference: str) -> Booking: ...
