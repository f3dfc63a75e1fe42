"""What the console needs from parts it may not import (the booking adapter): the gateway plugs them in."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class BookingHealthView(Protocol):
    @property
    def last_at(self) -> datetime | None: ...
    @property
    def last_ok(self) -> bool | None: ...
    @property
    def last_latency_ms(self) -> int | None: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def calls(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def median_latency_ms(self) -> int | None: ...


class ConnectionCheckView(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def latency_ms(self) -> int: ...
    @property
    def sandbox(self) -> bool: ...
    @property
    def message(self) -> str: ...


class BookingDesk(Protocol):
    """The booking backend as the console sees it; the gateway plugs in booking/health.py."""

    async def health(self, slug: str) -> BookingHealthView: ...

    async def check(self, slug: str) -> ConnectionCheckView: ...


class Eraser(Protocol):
    """Erasure over every store (the gateway plugs in gateway/retention.py); the receipt: store -> records deleted."""

    async def erase(self, *, conversation_id: str | None = None, phone: str | None = None) -> dict[str, int]: ...
