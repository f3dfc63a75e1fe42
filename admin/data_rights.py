"""Retention periods (consortium admins) and erasure on request (consortium and municipality admins)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from admin.guard import client, current_user, forbid, now
from admin.pages import render
from admin.retention import KINDS, MAX_DAYS, MIN_DAYS, RetentionSettings
from admin.roles import may_erase, may_erase_conversation, may_set_retention
from admin.state import INTEGRATIONS
from admin.state import STORES as ADMIN_STORES
from conversation.state import ENGINE, LOG
from muni.phones import normalise
from sms.sender import mask_number

_CONVERSATION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STORE_LABELS = {
    "conversations": "Samtaler",
    "turns": "Samtaletekster",
    "offered_payloads": "Tilbudte knapper",
    "ratings": "Bedømmelser",
    "tracker_events": "Rasas samtalehændelser",
    "voice_calls": "Opkaldslog",
    "sms_links": "SMS-link-log",
    "sms_outbox": "SMS-udbakke",
    "sandbox_bookings": "Bookinger i sandkassen",
}


def _text(form: Any, name: str, limit: int = 64) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _retention_page(request: web.Request, *, error: str | None = None, entered: dict[str, str] | None = None,
                          saved: bool = False, status: int = 200) -> web.Response:
    periods = await RetentionSettings(request.config_dict[ENGINE]).periods()
    rows = [
        {"kind": kind, "label": label, "days": (entered or {}).get(kind) or str(getattr(periods, kind).days), "default": default}
        for kind, (label, default) in KINDS.items()
    ]
    return render(request, "retention.html", {"rows": rows, "error": error, "saved": saved, "min": MIN_DAYS, "max": MAX_DAYS},
                  status=status)


async def retention_page(request: web.Request) -> web.Response:
    """GET /admin/retention – how long each kind of data is kept."""
    if not may_set_retention(current_user(request)):
        raise forbid()
    return await _retention_page(request, saved=request.query.get("gemt") == "1")


async def set_retention(request: web.Request) -> web.Response:
    """POST /admin/retention – every period at once; the form again with the input kept when one is wrong."""
    user = current_user(request)
    if not may_set_retention(user):
        raise forbid()
    form = await request.post()
    entered = {kind: _text(form, kind, 8) for kind in KINDS}
    wanted: dict[str, int] = {}
    for kind, raw in entered.items():
        if not raw.isdigit() or not MIN_DAYS <= int(raw) <= MAX_DAYS:
            error = f"{KINDS[kind][0]}: skriv et helt antal dage fra {MIN_DAYS} til {MAX_DAYS}."
            return await _retention_page(request, error=error, entered=entered, status=400)
        wanted[kind] = int(raw)
    settings = RetentionSettings(request.config_dict[ENGINE])
    before = await settings.periods()
    at = now(request)
    changed = {kind: days for kind, days in wanted.items() if getattr(before, kind) != timedelta(days=days)}
    for kind, days in changed.items():
        await settings.set(kind, days, at, by=user.id)
    if changed:
        await request.app[ADMIN_STORES].audit.record(
            "retention.changed", at, actor_id=user.id, client=client(request),
            before={kind: getattr(before, kind).days for kind in changed}, after=changed,
        )
    raise web.HTTPSeeOther("/admin/retention?gemt=1")


async def erasure_page(request: web.Request) -> web.Response:
    """GET /admin/erasure – erase a citizen's data on request."""
    if not may_erase(current_user(request)):
        raise forbid()
    return render(request, "erasure.html", {"error": None, "entered": {"conversation": "", "phone": ""}, "receipt": None})


async def erase_data(request: web.Request) -> web.Response:
    """POST /admin/erasure – by conversation id or phone number; a receipt of what was deleted; audited."""
    user = current_user(request)
    if not may_erase(user):
        raise forbid()
    form = await request.post()
    entered = {"conversation": _text(form, "conversation"), "phone": _text(form, "phone", 32)}

    def again(error: str, status: int = 400) -> web.Response:
        return render(request, "erasure.html", {"error": error, "entered": entered, "receipt": None}, status=status)

    if bool(entered["conversation"]) == bool(entered["phone"]):
        return again("Udfyld enten samtalens id eller telefonnummeret (ikke begge).")
    target: dict[str, Any]
    municipality: str | None
    if entered["conversation"]:
        conversation_id = entered["conversation"].lower()
        if not _CONVERSATION_ID.fullmatch(conversation_id):
            return again("Samtalens id har formen 8-4-4-4-12 tegn, fx 3f2b1c4d-….")
        found = await request.config_dict[LOG].conversation(conversation_id)
        if found is None or not may_erase_conversation(user, found.municipality):
            # The same answer for another municipality's conversation: nothing about it is revealed.
            return again("Der findes ingen samtale med det id, som du kan slette.", 404)
        receipt = await request.app[INTEGRATIONS].eraser.erase(conversation_id=conversation_id)
        target, municipality = {"conversation": conversation_id}, found.municipality
    else:
        number = normalise(entered["phone"])
        if number is None:
            return again("Telefonnummeret skal være et dansk nummer med 8 cifre eller et nummer med landekode.")
        receipt = await request.app[INTEGRATIONS].eraser.erase(phone=number)
        target, municipality = {"phone": mask_number(number)}, user.municipality
    await request.app[ADMIN_STORES].audit.record(
        "data.erased", now(request), actor_id=user.id, client=client(request), municipality=municipality,
        deleted=receipt, **target,
    )
    lines = [(STORE_LABELS.get(store, store), count) for store, count in receipt.items()]
    return render(request, "erasure.html", {
        "error": None, "entered": {"conversation": "", "phone": ""},
        "receipt": {"target": target, "lines": lines, "at": now(request), "by": user.username},
    })
