"""Logging in (password, then the second factor where there is one) and out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from admin.guard import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    USER,
    clear_cookie,
    client,
    ensure_login_cookie,
    now,
    safe_next,
    set_cookie,
)
from admin.pages import render
from admin.roles import User
from admin.sessions import Stage
from admin.state import SESSION, STORES
from admin.throttle import account_key, client_key

MAX_FIELD = 256
WRONG = "Forkert brugernavn eller adgangskode."  # the same whether the user exists or not


def _field(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _wait_text(wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 120:
        return f"{seconds} sekunder"
    return f"{(seconds + 59) // 60} minutter"


def _login_page(request: web.Request, *, username: str = "", error: str | None = None, status: int = 200) -> web.Response:
    new_cookie = ensure_login_cookie(request)
    response = render(
        request, "login.html", {"username": username, "error": error, "next": safe_next(request.query.get("next"))}, status=status
    )
    if new_cookie is not None:
        set_cookie(request, response, LOGIN_COOKIE, new_cookie)
    return response


async def login_form(request: web.Request) -> web.Response:
    """GET /admin/login – the form (username, password, csrf); a logged-in user goes on at once."""
    session = request.get(SESSION)
    if session is not None and session.stage is Stage.FULL:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return _login_page(request)


async def login(request: web.Request) -> web.Response:
    """POST /admin/login – check the password under the per-account and per-client throttle."""
    form = await request.post()
    username, password = _field(form, "username").strip().lower(), _field(form, "password")
    stores, at, where = request.app[STORES], now(request), client(request)
    keys = [account_key(username), client_key(where)]
    wait = await stores.throttle.wait(keys, at)
    if wait > timedelta(0):
        await stores.audit.record("login.throttled", at, client=where, **await _who(request, username))
        return _login_page(
            request, username=username, error=f"For mange forsøg. Vent {_wait_text(wait)}, og prøv igen.", status=429
        )
    user = await stores.users.check_password(username, password)
    if user is None:
        await stores.throttle.failed(keys, at)
        await stores.audit.record("login.failed", at, client=where, **await _who(request, username))
        return _login_page(request, username=username, error=WRONG, status=401)
    await stores.throttle.succeeded(keys[0])
    stage = Stage.SECOND_FACTOR if user.has_second_factor else Stage.ENROL if user.role.needs_second_factor else Stage.FULL
    old = request.get(SESSION)
    if old is not None:
        await stores.sessions.revoke(old.id, at)
    token = await stores.sessions.create(user.id, stage, at)
    target = safe_next(request.query.get("next") or _field(form, "next"))
    if stage is Stage.FULL:
        await _logged_in(request, user, "password")
    elif stage is Stage.SECOND_FACTOR:
        target = "/admin/login/second-factor?next=" + quote(target, safe="")
    else:
        target = "/admin/account/second-factor"
    response = web.HTTPSeeOther(target)
    set_cookie(request, response, SESSION_COOKIE, token)
    clear_cookie(response, LOGIN_COOKIE)
    raise response


async def _who(request: web.Request, username: str) -> dict[str, Any]:
    """For the audit of a failure: the account, if the name is one; never the typed name itself."""
    user = await request.app[STORES].users.by_name(username) if username else None
    return {} if user is None else {"target_user_id": user.id, "municipality": user.municipality}


async def _logged_in(request: web.Request, user: User, method: str) -> None:
    stores, at = request.app[STORES], now(request)
    await stores.users.record_login(user.id, at)
    await stores.audit.record(
        "login", at, actor_id=user.id, client=client(request), municipality=user.municipality, method=method
    )


def _pending(request: web.Request) -> tuple[str, User]:
    session = request.get(SESSION)
    if session is None or session.stage is not Stage.SECOND_FACTOR:
        raise web.HTTPSeeOther("/admin/login")
    return session.id, request[USER]


async def second_factor_form(request: web.Request) -> web.Response:
    _pending(request)
    return render(request, "second_factor.html", {"error": None, "next": safe_next(request.query.get("next"))})


async def second_factor(request: web.Request) -> web.Response:
    """POST /admin/login/second-factor – a TOTP code or a recovery code, under the same throttle."""
    session_id, user = _pending(request)
    form = await request.post()
    stores, at, where = request.app[STORES], now(request), client(request)
    keys = [account_key(user.username), client_key(where)]
    target = safe_next(_field(form, "next"))
    wait = await stores.throttle.wait(keys, at)
    if wait > timedelta(0):
        error = f"For mange forsøg. Vent {_wait_text(wait)}, og prøv igen."
        return render(request, "second_factor.html", {"error": error, "next": target}, status=429)
    code = _field(form, "code")
    if not await stores.users.check_second_factor(user.id, code, at):
        await stores.throttle.failed(keys, at)
        await stores.audit.record(
            "login.second_factor_failed", at, client=where, target_user_id=user.id, municipality=user.municipality
        )
        return render(request, "second_factor.html", {"error": "Koden er forkert eller udløbet.", "next": target}, status=401)
    await stores.throttle.succeeded(keys[0])
    await stores.sessions.advance(session_id, Stage.FULL)
    await _logged_in(request, user, "second-factor" if code.strip().isdigit() else "recovery-code")
    raise web.HTTPSeeOther(target)


async def logout(request: web.Request) -> web.Response:
    """POST /admin/logout – end the session here and on the server."""
    session = request.get(SESSION)
    stores, at = request.app[STORES], now(request)
    if session is not None:
        await stores.sessions.revoke(session.id, at)
        user = request[USER]
        await stores.audit.record("logout", at, actor_id=user.id, client=client(request), municipality=user.municipality)
    response = web.HTTPSeeOther("/admin/login")
    clear_cookie(response, SESSION_COOKIE)
    raise response
