"""The sandbox booking server's HTTP API (booking/openapi.yml), on aiohttp."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from booking.model import COPENHAGEN, Booking, BookingNotFound, Hold, HoldExpired, Slot, SlotTaken
from booking.sandbox.calendar import Calendar, load_calendars
from booking.sandbox.store import SandboxStore
from muni.clock import utc_now
from muni.paths import in_var

SANDBOX_NOTICE = "SANDBOX – testsystem, ikke en rigtig tidsbestilling"
MAX_RANGE_DAYS = 62
MAX_TEXT = 200


@dataclass(frozen=True)
class SandboxSettings:
    database: Path
    api_key: str = "sandbox"
    host: str = "127.0.0.1"
    port: int = 8090
    occupancy: float | None = None  # None: each calendar's own share of times already taken

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SandboxSettings:
        raw_port = environ.get("MUNI_BOOKING_SANDBOX_PORT", "8090")
        if not raw_port.isdigit():
            raise SystemExit(f"MUNI_BOOKING_SANDBOX_PORT must be a port number, got {raw_port!r}")
        return cls(
            database=in_var(environ, "MUNI_BOOKING_SANDBOX_DB", "booking_sandbox.db"),
            api_key=environ.get("MUNI_BOOKING_SANDBOX_KEY", "sandbox"),
            port=int(raw_port),
        )


STORE = web.AppKey("store", SandboxStore)
CALENDARS = web.AppKey("calendars", dict)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response({"sandbox": True, "notice": SANDBOX_NOTICE, **body}, status=status)


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 404: web.HTTPNotFound, 409: web.HTTPConflict,
}


def _error(status: int, code: str, message: str) -> web.HTTPException:
    body = {"sandbox": True, "notice": SANDBOX_NOTICE, "error": {"code": code, "message": message}}
    return _ERRORS[status](
        text=json.dumps(body), content_type="application/json", headers={"X-Sandbox": "true"}
    )


@web.middleware
async def _label_and_authorise(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
    if request.path != "/" and request.headers.get("Authorization") != f"Bearer {request.app[SETTINGS].api_key}":
        raise _error(401, "unauthorised", "missing or wrong API key")
    response = await handler(request)
    response.headers["X-Sandbox"] = "true"
    return response


SETTINGS = web.AppKey("settings", SandboxSettings)


def create_app(settings: SandboxSettings, now: Callable[[], datetime] = utc_now) -> web.Application:
    app = web.Application(middlewares=[_label_and_authorise], client_max_size=8 * 1024)
    app[SETTINGS] = settings
    app[CLOCK] = now
    app[CALENDARS] = load_calendars(occupancy=settings.occupancy)
    app.cleanup_ctx.append(_store)
    app.router.add_get("/", index)
    tenant = "/{municipality}/v1"
    app.router.add_get(f"{tenant}/services", services)
    app.router.add_get(f"{tenant}/locations", locations)
    app.router.add_get(f"{tenant}/days", days)
    app.router.add_get(f"{tenant}/slots", slots)
    app.router.add_post(f"{tenant}/holds", hold)
    app.router.add_delete(f"{tenant}/holds/{{hold_id}}", release)
    app.router.add_post(f"{tenant}/bookings", confirm)
    app.router.add_get(f"{tenant}/bookings/{{reference}}", lookup)
    app.router.add_delete(f"{tenant}/bookings/{{reference}}", cancel)
    app.router.add_post(f"{tenant}/bookings/{{reference}}/move", move)
    return app


async def _store(app: web.Application) -> AsyncIterator[None]:
    app[SETTINGS].database.parent.mkdir(parents=True, exist_ok=True)
    store = SandboxStore.open(app[SETTINGS].database)
    app[STORE] = store
    yield
    store.close()


async def index(request: web.Request) -> web.Response:
    return web.Response(
        text=f"<!doctype html><title>{SANDBOX_NOTICE}</title><h1>{SANDBOX_NOTICE}</h1>"
        "<p>Muni's booking sandbox: invented calendars for development and tests. "
        "Nothing booked here is a real appointment.</p>",
        content_type="text/html",
    )


def _calendar(request: web.Request) -> Calendar:
    calendar = request.app[CALENDARS].get(request.match_info["municipality"])
    if calendar is None:
        raise _error(404, "unknown_municipality", "no sandbox calendar for this municipality")
    return calendar


def _range(request: web.Request, calendar: Calendar) -> tuple[str, date, date]:
    service = request.query.get("service", "")
    if service not in calendar.services:
        raise _error(400, "unknown_service", "service is not offered here")
    try:
        first, last = date.fromisoformat(request.query["from"]), date.fromisoformat(request.query["to"])
    except (KeyError, ValueError):
        raise _error(400, "bad_range", "from and to are ISO dates") from None
    if last < first or last - first > timedelta(days=MAX_RANGE_DAYS):
        raise _error(400, "bad_range", f"from..to spans 0 to {MAX_RANGE_DAYS} days")
    return service, first, last


def slot_json(slot: Slot) -> dict[str, str]:
    return {"service": slot.service_id, "location": slot.location_id,
            "start": slot.start.isoformat(), "end": slot.end.isoformat()}


def hold_json(hold: Hold) -> dict[str, Any]:
    return {"id": hold.id, "expires_at": hold.expires_at.isoformat(), "slot": slot_json(hold.slot)}


def booking_json(booking: Booking) -> dict[str, Any]:
    return {"reference": booking.reference, "service": booking.service_id, "location": booking.location_id,
            "start": booking.start.isoformat(), "end": booking.end.isoformat(), "status": booking.status}


async def services(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    return _json({"services": [{"id": s.id, "name": s.name, "minutes": s.minutes} for s in calendar.services.values()]})


async def locations(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    return _json({"locations": [{"id": loc.id, "name": loc.name, "address": loc.address} for loc in calendar.locations]})


async def slots(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    service, first, last = _range(request, calendar)
    found = request.app[STORE].free_slots(calendar, service, first, last, request.app[CLOCK]())
    return _json({"slots": [slot_json(slot) for slot in found]})


async def days(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    service, first, last = _range(request, calendar)
    found = request.app[STORE].free_slots(calendar, service, first, last, request.app[CLOCK]())
    return _json({"days": sorted({slot.start.date().isoformat() for slot in found})})


async def _body(request: web.Request, *fields: str) -> dict[str, str]:
    try:
        body = await request.json()
    except ValueError:
        raise _error(400, "bad_json", "the body is not JSON") from None
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) and 0 < len(body[f]) <= MAX_TEXT for f in fields):
        raise _error(400, "bad_body", f"expected strings {', '.join(fields)}")
    return body


async def hold(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    body = await _body(request, "service", "location", "start")
    if body["service"] not in calendar.services:
        raise _error(400, "unknown_service", "service is not offered here")
    try:
        start = datetime.fromisoformat(body["start"]).astimezone(COPENHAGEN)
    except ValueError:
        raise _error(400, "bad_start", "start is an ISO date-time with offset") from None
    minutes = calendar.services[body["service"]].minutes
    slot = Slot(body["service"], body["location"], start, start + timedelta(minutes=minutes))
    try:
        held = request.app[STORE].hold(calendar, slot, request.app[CLOCK]())
    except SlotTaken as taken:
        raise _error(409, "slot_taken", str(taken)) from None
    return _json({"hold": hold_json(held)}, status=201)


async def release(request: web.Request) -> web.Response:
    request.app[STORE].release(_calendar(request), request.match_info["hold_id"])
    return _json({}, status=200)


def _idempotency_key(request: web.Request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not 8 <= len(key) <= 200:
        raise _error(400, "idempotency_key", "an Idempotency-Key header (8–200 characters) is required")
    return key


async def confirm(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    key = _idempotency_key(request)
    body = await _body(request, "hold_id", "name", "contact")
    try:
        booking, created = request.app[STORE].confirm(
            calendar, body["hold_id"], body["name"], body["contact"], key, request.app[CLOCK]()
        )
    except HoldExpired as expired:
        raise _error(409, "hold_expired", str(expired)) from None
    return _json({"booking": booking_json(booking)}, status=201 if created else 200)


async def move(request: web.Request) -> web.Response:
    calendar = _calendar(request)
    key = _idempotency_key(request)
    body = await _body(request, "hold_id")
    try:
        booking = request.app[STORE].move(
            calendar, request.match_info["reference"], body["hold_id"], key, request.app[CLOCK]()
        )
    except HoldExpired as expired:
        raise _error(409, "hold_expired", str(expired)) from None
    except BookingNotFound:
        raise _error(404, "not_found", "no such booking") from None
    return _json({"booking": booking_json(booking)})


async def lookup(request: web.Request) -> web.Response:
    try:
        booking = request.app[STORE].lookup(_calendar(request), request.match_info["reference"])
    except BookingNotFound:
        raise _error(404, "not_found", "no such booking") from None
    return _json({"booking": booking_json(booking)})


async def cancel(request: web.Request) -> web.Response:
    try:
        booking = request.app[STORE].cancel(_calendar(request), request.match_info["reference"])
    except BookingNotFound:
        raise _error(404, "not_found", "no such booking") from None
    return _json({"booking": booking_json(booking)})
