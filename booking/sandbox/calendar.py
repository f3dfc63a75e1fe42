"""Sandbox calendars: opening hours, desks and services per municipality (pure functions)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml

from booking.holidays import holiday_name
from booking.model import COPENHAGEN, Location, Service

UNIT = timedelta(minutes=5)  # the granularity desks are booked in
CALENDARS_PATH = Path(__file__).resolve().parents[1] / "calendars.yml"


@dataclass(frozen=True)
class Calendar:
    municipality: str
    hours: Mapping[int, tuple[time, time]]  # weekday -> (open, close)
    desks: int
    services: Mapping[str, Service]
    locations: tuple[Location, ...]
    occupancy: float

    def opening(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing time that day, or None (weekend, holiday)."""
        if holiday_name(day) is not None or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        return (
            datetime.combine(day, opens, tzinfo=COPENHAGEN),
            datetime.combine(day, closes, tzinfo=COPENHAGEN),
        )

    def starts(self, service: Service, day: date) -> Iterator[datetime]:
        """Every start time on the service's grid that ends before closing."""
        opening = self.opening(day)
        if opening is None:
            return
        start, closes = opening
        length = timedelta(minutes=service.minutes)
        while start + length <= closes:
            yield start
            start += length

    def taken_by_others(self, location: str, desk: int, unit: datetime) -> bool:
        """Deterministic 'other citizens' bookings, so a calendar looks lived in."""
        if self.occupancy <= 0:
            return False
        hour_block = unit.replace(minute=unit.minute - unit.minute % 20)
        digest = hashlib.sha256(f"{self.municipality}|{location}|{desk}|{hour_block:%Y%m%d%H%M}".encode()).digest()
        return digest[0] / 256 < self.occupancy


def units(start: datetime, minutes: int) -> list[datetime]:
    return [start + UNIT * i for i in range(minutes // 5)]


def _hours(raw: Mapping[int, list[str]]) -> dict[int, tuple[time, time]]:
    return {int(day): (time.fromisoformat(pair[0]), time.fromisoformat(pair[1])) for day, pair in raw.items()}


@functools.cache
def load_calendars(path: Path = CALENDARS_PATH, occupancy: float | None = None) -> dict[str, Calendar]:
    """Every municipality's sandbox calendar, keyed by slug."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = {
        sid: Service(id=sid, name=raw["name"], minutes=int(raw["minutes"])) for sid, raw in data["services"].items()
    }
    default = data["default"]
    calendars = {}
    for slug, own in data["municipalities"].items():
        merged = {**default, **(own or {})}
        calendars[slug] = Calendar(
            municipality=slug,
            hours=_hours(merged["hours"]),
            desks=int(merged["desks"]),
            services={sid: services[sid] for sid in merged["services"]},
            locations=tuple(Location(**location) for location in merged["locations"]),
            occupancy=float(merged["occupancy"] if occupancy is None else occupancy),
        )
    return calendars
