"""The FrontDesk-style HTTP adapter: booking/openapi.yml spoken over aiohttp.

Every call has a timeout. Reads, releases and cancellations are retried on
timeouts, connection errors, 429 and 5xx (they are safe to repeat); confirm
and move are retried too, because they carry an Idempotency-Key that makes a
repeat return the first result instead of booking twice. Creating a hold is
never retried: a lost reply would leave a second hold behind. A 429 or 503 whose Retry-After is
longer than one attempt's timeout ends the retries at once (the citizen gets the booking page and
phone, and the API is not asked again within the turn); a shorter one is waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from booking.model import (
    Booking,
    BookingError,
    BookingNotFound,
    BookingUnavailable,
    Hold,
    HoldExpired,
    Location,
    OutcomeUnknown,
    Service,
    Slot,
    SlotTaken,
)
from booking.settings import BACKOFF_S, RETRIES, BookingEndpoint

logger = logging.getLogger("muni.booking.frontdesk")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_SLOTS = 2000


class Refused(BookingUnavailable):
    """The API said no to the request itself (4xx): nothing was made."""


class CallRecorder(Protocol):
    """Told of every request (retries included in it): for the booking backend's health (booking/health.py)."""

    async def record(self, method: str, path: str, started: float, error: str | None) -> None: ...


class FrontDeskClient:
    """One municipality's booking API."""

    def __init__(
        self, session: aiohttp.ClientSession, endpoint: BookingEndpoint, *, recorder: CallRecorder | None = None
    ) -> None:
        self._session = session
        self._endpoint = endpoint
        self._timeout = aiohttp.ClientTimeout(total=endpoint.timeout_s)
        self._recorder = recorder

    @property
    def sandbox(self) -> bool:
        return self._endpoint.sandbox

    async def _call(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        params: dict[str, str] | None = None,
        json: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        started = time.monotonic()
        try:
            answer = await self._attempts(method, path, retry=retry, params=params, json=json, headers=headers)
        except BookingUnavailable as error:
            await self._record(method, path, started, str(error).rsplit(": ", 1)[-1])
            raise
        status = answer[0]
        await self._record(method, path, started, f"HTTP {status}" if status >= 500 else None)
        return answer

    async def _record(self, method: str, path: str, started: float, error: str | None) -> None:
        if self._recorder is not None:
            await self._recorder.record(method, path, started, error)

    async def _attempts(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        params: dict[str, str] | None = None,
        json: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        url = self._endpoint.base_url + path
        all_headers = {"Authorization": f"Bearer {self._endpoint.api_key}", **(headers or {})}
        attempts = 1 + (RETRIES if retry else 0)
        problem = ""
        asked_wait = 0.0  # what the API's last Retry-After asked for
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(max(BACKOFF_S * attempt, asked_wait))
            try:
                async with self._session.request(
                    method, url, params=params, json=json, headers=all_headers, timeout=self._timeout
                ) as response:
                    status = response.status
                    if status in RETRY_STATUSES:
                        problem = f"HTTP {status}"
                        asked_wait = _retry_after(response.headers.get("Retry-After"))
                        if asked_wait > self._endpoint.timeout_s:
                            # Longer than a citizen's turn can wait: asking again sooner would only add load.
                            problem += f" (Retry-After {asked_wait:g} s)"
                            break
                        continue
                    try:
                        body = await response.json(content_type=None)
                    except ValueError:
                        raise BookingUnavailable(f"{method} {path}: HTTP {status} with a body that is not JSON") from None
            except TimeoutError:
                problem = f"no answer within {self._timeout.total} s"
                continue
            except aiohttp.ClientError as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if not isinstance(body, dict):
                raise BookingUnavailable(f"{method} {path}: HTTP {status} with JSON that is not an object")
            return status, body
        raise BookingUnavailable(f"{method} {path}: {problem} (after {attempts} attempt(s))")

    @staticmethod
    def _error_code(body: dict[str, Any]) -> str:
        error = body.get("error")
        return str(error.get("code", "")) if isinstance(error, dict) else ""

    def _expect(self, status: int, body: dict[str, Any], ok: tuple[int, ...], what: str) -> dict[str, Any]:
        if status in ok:
            return body
        code = self._error_code(body)
        if status == 404 and code == "not_found":
            raise BookingNotFound(what)
        if status == 409 and code == "hold_expired":
            raise HoldExpired(what)
        if status == 409:
            raise SlotTaken(what)
        if 400 <= status < 500:
            raise Refused(f"{what}: HTTP {status} ({code or 'no error code'})")
        raise BookingUnavailable(f"{what}: HTTP {status} ({code or 'no error code'})")

    async def services(self) -> list[Service]:
        status, body = await self._call("GET", "/services", retry=True)
        raw = self._expect(status, body, (200,), "services").get("services")
        return _parse(lambda: [Service(str(s["id"]), str(s["name"]), int(s["minutes"])) for s in _list(raw)])

    async def locations(self) -> list[Location]:
        status, body = await self._call("GET", "/locations", retry=True)
        raw = self._expect(status, body, (200,), "locations").get("locations")
        return _parse(lambda: [Location(str(x["id"]), str(x["name"]), str(x["address"])) for x in _list(raw)])

    async def days(self, service_id: str, first: date, last: date) -> list[date]:
        params = {"service": service_id, "from": first.isoformat(), "to": last.isoformat()}
        status, body = await self._call("GET", "/days", retry=True, params=params)
        raw = self._expect(status, body, (200,), "days").get("days")
        return _parse(lambda: [date.fromisoformat(day) for day in _list(raw)])

    async def slots(self, service_id: str, first: date, last: date) -> list[Slot]:
        params = {"service": service_id, "from": first.isoformat(), "to": last.isoformat()}
        status, body = await self._call("GET", "/slots", retry=True, params=params)
        raw = self._expect(status, body, (200,), "slots").get("slots")
        return _parse(lambda: [_slot(item) for item in _list(raw)[:MAX_SLOTS]])

    async def hold(self, slot: Slot) -> Hold:
        payload = {"service": slot.service_id, "location": slot.location_id, "start": slot.start.isoformat()}
        status, body = await self._call("POST", "/holds", retry=False, json=payload)
        raw: Any = self._expect(status, body, (201,), "hold").get("hold")
        return _parse(lambda: Hold(str(raw["id"]), _slot(raw["slot"]), _aware(raw["expires_at"])))

    async def release(self, hold_id: str) -> None:
        status, body = await self._call("DELETE", f"/holds/{quote(hold_id, safe='')}", retry=True)
        self._expect(status, body, (200, 204), "release")

    async def confirm(self, hold_id: str, name: str, contact: str, idempotency_key: str) -> Booking:
        async with _outcome_unknown("confirm"):
            status, body = await self._call(
                "POST", "/bookings", retry=True,
                json={"hold_id": hold_id, "name": name, "contact": contact},
                headers={"Idempotency-Key": idempotency_key},
            )
            return self._booking(self._expect(status, body, (200, 201), "confirm"))

    async def move(self, reference: str, hold_id: str, idempotency_key: str) -> Booking:
        async with _outcome_unknown("move"):
            status, body = await self._call(
                "POST", f"/bookings/{quote(reference, safe='')}/move", retry=True,
                json={"hold_id": hold_id}, headers={"Idempotency-Key": idempotency_key},
            )
            return self._booking(self._expect(status, body, (200,), "move"))

    async def cancel(self, reference: str) -> Booking:
        status, body = await self._call("DELETE", f"/bookings/{quote(reference, safe='')}", retry=True)
        return self._booking(self._expect(status, body, (200,), "cancel"))

    async def lookup(self, reference: str) -> Booking:
        status, body = await self._call("GET", f"/bookings/{quote(reference, safe='')}", retry=True)
        return self._booking(self._expect(status, body, (200,), "lookup"))

    def _booking(self, body: dict[str, Any]) -> Booking:
        raw: Any = body.get("booking")
        sandbox = body.get("sandbox") is True
        return _parse(lambda: Booking(
            reference=str(raw["reference"]), service_id=str(raw["service"]), location_id=str(raw["location"]),
            start=_aware(raw["start"]), end=_aware(raw["end"]), status=str(raw["status"]), sandbox=sandbox,
        ))


def _retry_after(value: str | None) -> float:
    """Retry-After in seconds (the HTTP-date form counts as no wait); 0 when absent or unreadable."""
    try:
        return max(0.0, float(value)) if value is not None else 0.0
    except ValueError:
        return 0.0


@contextlib.asynccontextmanager
async def _outcome_unknown(what: str) -> AsyncIterator[None]:
    """A write that got no usable answer (timeouts, 5xx, 429, garbage) may still have been made."""
    try:
        yield
    except (OutcomeUnknown, Refused):
        raise
    except BookingUnavailable as error:
        raise OutcomeUnknown(f"{what}: outcome unknown: {error}") from error


def _list(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise TypeError("expected a list")
    return raw


def _aware(raw: Any) -> datetime:
    value = datetime.fromisoformat(str(raw))
    if value.tzinfo is None:
        raise ValueError("a time without an offset")
    return value


def _slot(raw: Any) -> Slot:
    return Slot(str(raw["service"]), str(raw["location"]), _aware(raw["start"]), _aware(raw["end"]))


def _parse(build: Any) -> Any:
    """Build typed values from a reply; a reply of the wrong shape means the API is not usable."""
    try:
        return build()
    except (KeyError, TypeError, ValueError) as error:
        raise BookingUnavailable(f"malformed reply from the booking API: {type(error).__name__}: {error}") from None


__all__ = ["BookingError", "FrontDeskClient"]
