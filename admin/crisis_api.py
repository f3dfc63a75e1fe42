"""`PUT`/`DELETE /api/v1/crisis/{slug}`: the municipalities' emergency systems switch crisis mode with a staff API key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from admin.api_keys import CRISIS_SCOPE, ApiKey
from admin.state import ADMIN_APP, STORES
from conversation.state import CLOCK, CRISES, DIRECTORY
from crisis.model import CrisisError, make_crisis, parse_duration

_FIELDS = {"title", "message", "message_en", "link", "phone", "starts_at", "expires_at", "expires_in"}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def _key(request: web.Request) -> ApiKey:
    """The live crisis key the request carries: 401 without one, 403 for any other key."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise _Refused(_error(401, "unauthorized", "Manglende adgangsnøgle (Authorization: Bearer …)."))
    key = await request.app[ADMIN_APP][STORES].api_keys.verify(header[7:].strip())
    if key is None or key.scope != CRISIS_SCOPE:
        raise _Refused(_error(403, "forbidden", "Nøglen giver ikke ret til at slå krisetilstand til eller fra."))
    return key


def _slug(request: web.Request) -> str:
    slug = request.match_info["slug"]
    if slug not in request.app[DIRECTORY].municipalities:
        raise _Refused(_error(404, "unknown_municipality", "Kommunen findes ikke."))
    return slug


def _moment(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise CrisisError(f"{name} skal være et tidspunkt som 2026-12-06T18:00:00+01:00.") from None
    if moment.tzinfo is None:
        raise CrisisError(f"{name} skal have en tidszone, fx +01:00.")
    return moment


async def put_crisis(request: web.Request) -> web.Response:
    try:
        key = await _key(request)
        slug = _slug(request)
    except _Refused as refused:
        return refused.response
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "bad_request", "Indholdet skal være JSON.")
    if not isinstance(body, dict) or not set(body) <= _FIELDS:
        return _error(400, "bad_request", f"Indholdet skal være et JSON-objekt med felterne {', '.join(sorted(_FIELDS))}.")
    if any(value is not None and not isinstance(value, str) for value in body.values()):
        return _error(400, "bad_request", "Alle felter skal være tekst.")
    now = request.app[CLOCK]()
    try:
        starts_at = _moment(body, "starts_at")
        expires_at = _moment(body, "expires_at")
        if expires_at is None and body.get("expires_in"):
            expires_at = (starts_at or now) + parse_duration(body["expires_in"])
        crisis = make_crisis(
            municipality=slug,
            title=body.get("title") or "",
            message_da=body.get("message") or "",
            message_en=body.get("message_en"),
            link=body.get("link"),
            phone=body.get("phone"),
            starts_at=starts_at,
            expires_at=expires_at,
            set_by=f"api-key:{key.label}",
            now=now,
        )
    except CrisisError as error:
        return _error(400, "invalid_crisis", str(error))
    desk = request.app[ADMIN_APP][STORES].crisis
    change = await desk.switch_on(crisis, actor_id=None, client=f"api-key:{key.id}")
    body = {"active": crisis.active_at(now), "state": crisis.state_at(now), **crisis.public()}
    return web.json_response(body, status=200 if change.before else 201)


async def delete_crisis(request: web.Request) -> web.Response:
    try:
        key = await _key(request)
        slug = _slug(request)
    except _Refused as refused:
        return refused.response
    desk = request.app[ADMIN_APP][STORES].crisis
    await desk.switch_off(slug, request.app[CLOCK](), actor=f"api-key:{key.label}", actor_id=None, client=f"api-key:{key.id}")
    request.app[CRISES].forget()
    return web.Response(status=204)
