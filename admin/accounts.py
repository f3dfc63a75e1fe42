"""Managing users in the console, and one's own second factor."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pyotp
import segno
from aiohttp import web

from admin.guard import USER, client, current_user, forbid, login_url, now
from admin.pages import render
from admin.passwords import PasswordRejected
from admin.roles import Role, User, assignable_roles, may_manage, may_manage_users
from admin.sessions import Stage
from admin.state import SESSION, STORES
from admin.users import UserError, check_municipality
from conversation.state import DIRECTORY

ISSUER = "Muni"


def _text(form: Any, name: str, limit: int = 256) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _municipalities(request: web.Request) -> Mapping[str, str]:
    return request.config_dict[DIRECTORY].municipalities


async def _users_page(
    request: web.Request, user: User, *, error: str | None = None, entered: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    scope = None if user.is_consortium_admin else user.municipality
    listed = [other for other in await request.app[STORES].users.listing(scope)]
    names = _municipalities(request)
    choices = (
        sorted(names.items(), key=lambda item: item[1])
        if user.is_consortium_admin
        else [(user.municipality, names.get(user.municipality or "", user.municipality))]
    )
    return render(
        request,
        "users.html",
        {
            "users": [(other, may_manage(user, other)) for other in listed],
            "roles": assignable_roles(user),
            "municipality_choices": choices,
            "names": names,
            "error": error,
            "entered": entered or {"username": "", "role": Role.CONTENT_EDITOR.value, "municipality": user.municipality or ""},
        },
        status=status,
    )


async def user_list(request: web.Request) -> web.Response:
    """GET /admin/users – the users one may manage (consortium admins: everyone; municipality admins: their own)."""
    user = current_user(request)
    if not may_manage_users(user):
        raise forbid()
    return await _users_page(request, user)


def _chosen_role(user: User, raw: str, municipality: str, known: frozenset[str]) -> tuple[Role, str | None]:
    try:
        role = Role(raw)
    except ValueError:
        raise UserError("Vælg en rolle.") from None
    if role not in assignable_roles(user):
        raise PermissionError(role)
    chosen = check_municipality(role, municipality or None, known)
    if not user.is_consortium_admin and chosen != user.municipality:
        raise PermissionError(chosen)
    return role, chosen


async def create_user(request: web.Request) -> web.Response:
    """POST /admin/users – a new user with a first password the admin hands over; audited."""
    user = current_user(request)
    if not may_manage_users(user):
        raise forbid()
    form = await request.post()
    entered = {name: _text(form, name, 64) for name in ("username", "role", "municipality")}
    entered["username"] = entered["username"].lower()
    stores, at = request.app[STORES], now(request)
    try:
        role, municipality = _chosen_role(user, entered["role"], entered["municipality"], frozenset(_municipalities(request)))
        created = await stores.users.create(entered["username"], role, municipality, _text(form, "password"), at)
    except PermissionError:
        raise forbid() from None
    except (UserError, PasswordRejected) as error:
        return await _users_page(request, user, error=str(error), entered=entered, status=400)
    await stores.audit.record(
        "user.created",
        at,
        actor_id=user.id,
        client=client(request),
        municipality=created.municipality,
        target_user_id=created.id,
        after=_public(created),
    )
    raise web.HTTPSeeOther("/admin/users")


async def _managed(request: web.Request) -> tuple[User, User]:
    user = current_user(request)
    if not may_manage_users(user):
        raise forbid()
    other = await request.app[STORES].users.get(int(request.match_info["user_id"]))
    if other is None:
        raise web.HTTPNotFound()
    if not may_manage(user, other):
        raise forbid()
    return user, other


async def deactivate_user(request: web.Request) -> web.Response:
    """POST /admin/users/{id}/deactivate – no more logins; every session ends now."""
    user, other = await _managed(request)
    stores, at = request.app[STORES], now(request)
    await stores.users.deactivate(other.id, at)
    ended = await stores.sessions.revoke_user(other.id, at)
    await stores.audit.record(
        "user.deactivated",
        at,
        actor_id=user.id,
        client=client(request),
        municipality=other.municipality,
        target_user_id=other.id,
        before={"active": other.active},
        after={"active": False},
        sessions_ended=ended,
    )
    raise web.HTTPSeeOther("/admin/users")


async def change_role(request: web.Request) -> web.Response:
    """POST /admin/users/{id}/role – a new role (and municipality); the user's sessions end."""
    user, other = await _managed(request)
    form = await request.post()
    stores, at = request.app[STORES], now(request)
    try:
        role, municipality = _chosen_role(
            user, _text(form, "role", 64), _text(form, "municipality", 64), frozenset(_municipalities(request))
        )
    except PermissionError:
        raise forbid() from None
    except UserError as error:
        return await _users_page(request, user, error=str(error), status=400)
    await stores.users.set_role(other.id, role, municipality)
    ended = await stores.sessions.revoke_user(other.id, at)
    await stores.audit.record(
        "user.role_changed",
        at,
        actor_id=user.id,
        client=client(request),
        municipality=municipality or other.municipality,
        target_user_id=other.id,
        before={"role": other.role.value, "municipality": other.municipality},
        after={"role": role.value, "municipality": municipality},
        sessions_ended=ended,
    )
    if other.municipality not in (None, municipality):  # the old municipality's admins see the move too
        await stores.audit.record(
            "user.role_changed",
            at,
            actor_id=user.id,
            client=client(request),
            municipality=other.municipality,
            target_user_id=other.id,
            before={"role": other.role.value, "municipality": other.municipality},
            after={"role": role.value, "municipality": municipality},
        )
    raise web.HTTPSeeOther("/admin/users")


def _public(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role.value, "municipality": user.municipality, "active": user.active}


def _enrolling(request: web.Request) -> tuple[str, User]:
    """The session of a logged-in user, or of a consortium admin who must set up the second factor now."""
    session = request.get(SESSION)
    if session is None:
        raise web.HTTPSeeOther(login_url(request))
    if session.stage is Stage.SECOND_FACTOR:
        raise web.HTTPSeeOther("/admin/login/second-factor")
    return session.id, request[USER]


def _qr(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#1b2a3a", light="#ffffff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _enrol_page(request: web.Request, user: User, secret: str, *, error: str | None = None, status: int = 200) -> web.Response:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    session = request[SESSION]
    return render(
        request,
        "enrol.html",
        {
            "secret": secret,
            "grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr": _qr(uri),
            "error": error,
            "required": session.stage is Stage.ENROL,
            "enabled": user.has_second_factor,
            "codes": None,
        },
        status=status,
    )


async def enrol_form(request: web.Request) -> web.Response:
    """GET /admin/account/second-factor – set up an authenticator app (required for consortium admins)."""
    _, user = _enrolling(request)
    return _enrol_page(request, user, pyotp.random_base32())


async def enrol(request: web.Request) -> web.Response:
    """POST – the secret from the form and a code the app made from it; then the recovery codes, once."""
    session_id, user = _enrolling(request)
    form = await request.post()
    secret = _text(form, "secret", 64).upper()
    code = _text(form, "code", 16).replace(" ", "")
    stores, at = request.app[STORES], now(request)
    try:
        valid = len(secret) >= 16 and pyotp.TOTP(secret).verify(code, for_time=at, valid_window=1)
    except ValueError:  # not base32
        valid = False
    if not valid:
        return _enrol_page(
            request,
            user,
            secret if len(secret) >= 16 else pyotp.random_base32(),
            error="Koden passer ikke. Prøv med den næste kode fra appen.",
            status=400,
        )
    codes = await stores.users.enable_second_factor(user.id, secret)
    await stores.audit.record(
        "user.second_factor_enabled",
        at,
        actor_id=user.id,
        client=client(request),
        municipality=user.municipality,
        target_user_id=user.id,
    )
    if request[SESSION].stage is Stage.ENROL:
        await stores.sessions.advance(session_id, Stage.FULL)
        await stores.users.record_login(user.id, at)
        await stores.audit.record(
            "login", at, actor_id=user.id, client=client(request), municipality=user.municipality, method="password+enrol"
        )
    refreshed = await stores.users.get(user.id)
    return render(
        request, "enrol.html", {"codes": codes, "required": False, "enabled": True, "error": None, "user": refreshed or user}
    )
