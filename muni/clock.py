"""The one clock: aware UTC timestamps, injectable so tests control time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """A timestamp for storing: aware timestamps only, kept in UTC."""
    if moment.tzinfo is None:
        raise ValueError("stored timestamps must be timezone-aware")
    return moment.astimezone(UTC)


def from_db(moment: datetime) -> datetime:
    """A stored timestamp read back: SQLite hands back naive datetimes, all in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
