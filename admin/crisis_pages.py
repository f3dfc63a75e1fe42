"""The console's crisis page `/admin/crisis`: turn crisis mode on, change or end it; consortium admins issue API keys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from admin.api_keys import CRISIS_SCOPE
from admin.guard import client, current_user, forbid, now
from admin.pages import render
from admin.roles import User, crisis_scope, may_issue_api_keys
from admin.state import STORES
from conversation.state import DIRECTORY
from crisis.model import DANISH_TIME, DEFAULT_DURATION, MAX_DURATION, CrisisError, make_crisis, parse_start

MAX_HOURS = int(MAX_DURATION.total_seconds() // 3600)
_EMPTY = {
    "title": "",
    "message": "",
    "message_en": "",
    "link": "",
    "phone": "",
    "starts": "",
    "hours": str(int(DEFAULT_DURATION.total_seconds() // 3600)),
}


STATES = {"none": "Ingen", "scheduled": "Planlagt", "active": "Aktiv", "expired": "Udløbet"}


def _danish(moment: datetime) -> str:
    return f"{moment.astimezone(DANISH_TIME):%d.%m.%Y %H:%M}"


def _text(form: Any, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _scope(request: web.Request, user: User) -> frozenset[str]:
    scope = crisis_scope(user, frozenset(request.config_dict[DIRECTORY].municipalities))
    if not scope:
        raise forbid()
    return scope


async def _page(
    request: web.Request,
    user: User,
    scope: frozenset[str],
    *,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    chosen: frozenset[str] = frozenset(),
    new_key: str | None = None,
    status: int = 200,
) -> web.Response:
    stores, at = request.app[STORES], now(request)
    names = request.config_dict[DIRECTORY].municipalities
    crises = {slug: crisis for slug, crisis in (await stores.crisis.status()).items() if slug in scope}
    rows = []
    for slug in sorted(scope, key=lambda s: names[s]):
        crisis = crises.get(slug)
        state = "none" if crisis is None else crisis.state_at(at)
        rows.append({"slug": slug, "name": names[slug], "crisis": crisis, "state": state, "label": STATES[state]})
    keys = await stores.api_keys.all() if may_issue_api_keys(user) else []
    return render(
        request,
        "crisis.html",
        {
            "rows": rows,
            "single": None if len(scope) > 1 else next(iter(scope)),
            "error": error,
            "entered": entered or _EMPTY,
            "chosen": chosen,
            "max_hours": MAX_HOURS,
            "keys": keys,
            "may_issue": may_issue_api_keys(user),
            "new_key": new_key,
            "danish": _danish,
        },
        status=status,
    )


async def crisis_page(request: web.Request) -> web.Response:
    """GET /admin/crisis – the crises of the municipalities one may switch, and the form."""
    user = current_user(request)
    return await _page(request, user, _scope(request, user))


def _chosen(form: Any, scope: frozenset[str], user: User) -> frozenset[str]:
    """The municipalities the form names; one outside the user's scope is a 403, not a silent skip."""
    if form.get("all") == "1" and user.is_consortium_admin:
        return scope
    chosen = frozenset(value for value in form.getall("municipality", []) if isinstance(value, str))
    if chosen - scope:
        raise forbid()
    return chosen


async def crisis_on(request: web.Request) -> web.Response:
    """POST /admin/crisis/on – turn on (or change) the crisis of the chosen municipalities; audited per municipality."""
    user = current_user(request)
    scope = _scope(request, user)
    form = await request.post()
    chosen = _chosen(form, scope, user)
    entered = {name: _text(form, name) for name in _EMPTY}
    at = now(request)
    try:
        if not chosen:
            raise CrisisError("Vælg mindst én kommune.")
        try:
            hours = int(entered["hours"])
        except ValueError:
            raise CrisisError(f"Varigheden skal være et helt antal timer fra 1 til {MAX_HOURS}.") from None
        if not 1 <= hours <= MAX_HOURS:
            raise CrisisError(f"Varigheden skal være et helt antal timer fra 1 til {MAX_HOURS}.")
        starts = parse_start(entered["starts"], at) if entered["starts"] else None
        crises = [
            make_crisis(
                municipality=slug,
                title=entered["title"],
                message_da=entered["message"],
                message_en=entered["message_en"],
                link=entered["link"],
                phone=entered["phone"],
                starts_at=starts,
                expires_at=(starts or at) + timedelta(hours=hours),
                set_by=f"user:{user.username}",
                now=at,
            )
            for slug in sorted(chosen)
        ]
    except CrisisError as error:
        return await _page(request, user, scope, error=str(error), entered=entered, chosen=chosen, status=400)
    desk = request.app[STORES].crisis
    for crisis in crises:
        await desk.switch_on(crisis, actor_id=user.id, client=client(request))
    raise web.HTTPSeeOther("/admin/crisis")


async def crisis_off(request: web.Request) -> web.Response:
    """POST /admin/crisis/off – end the crisis of the chosen municipalities; audited."""
    user = current_user(request)
    scope = _scope(request, user)
    chosen = _chosen(await request.post(), scope, user)
    desk, at = request.app[STORES].crisis, now(request)
    for slug in sorted(chosen):
        await desk.switch_off(slug, at, actor=f"user:{user.username}", actor_id=user.id, client=client(request))
    raise web.HTTPSeeOther("/admin/crisis")


async def issue_key(request: web.Request) -> web.Response:
    """POST /admin/crisis/keys – a new staff API key, shown once; consortium admins only."""
    user = current_user(request)
    if not may_issue_api_keys(user):
        raise forbid()
    scope = _scope(request, user)
    label = _text(await request.post(), "label", 64)
    if not label:
        return await _page(request, user, scope, error="Giv nøglen et navn, fx kommunens beredskabssystem.", status=400)
    stores, at = request.app[STORES], now(request)
    key, secret = await stores.api_keys.issue(label, CRISIS_SCOPE, at, created_by=user.id)
    await stores.audit.record("api_key.issued", at, actor_id=user.id, client=client(request), key_id=key.id, label=key.label)
    return await _page(request, user, scope, new_key=secret)


async def revoke_key(request: web.Request) -> web.Response:
    """POST /admin/crisis/keys/{key_id}/revoke – the key stops working at once; consortium admins only."""
    user = current_user(request)
    if not may_issue_api_keys(user):
        raise forbid()
    stores, at = request.app[STORES], now(request)
    key = await stores.api_keys.revoke(int(request.match_info["key_id"]), at)
    if key is None:
        raise web.HTTPNotFound()
    await stores.audit.record("api_key.revoked", at, actor_id=user.id, client=client(request), key_id=key.id, label=key.label)
    raise web.HTTPSeeOther("/admin/crisis")
