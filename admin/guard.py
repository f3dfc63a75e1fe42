"""Who is asking: the session cookie, the CSRF token, and the checks every handler makes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlsplit

from aiohttp import web

from admin.roles import User
from admin.sessions import Session, Stage
from admin.state import SESSION, SETTINGS, STORES, TOKEN
from conversation.state import CLOCK

SESSION_COOKIE = "muni_admin"
LOGIN_COOKIE = "muni_admin_login"  # before login: what the login form's CSRF token is bound to
COOKIE_PATH = "/admin"
LOGIN_PATH = "/admin/login"
CSRF_FIELD = "csrf"
USER = web.RequestKey("admin_user", User)


def now(request: web.Request) -> datetime:
    return request.config_dict[CLOCK]()


def client(request: web.Request) -> str | None:
    """Where a request came from, for the audit log and the per-client throttle."""
    return request.remote


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
    )


def clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=COOKIE_PATH)


def csrf_token(request: web.Request) -> str:
    """The token for this page's forms: bound to the session, and on the login page to the login cookie.

    The login page never uses the session, so a session that expires while the form is open
    does not turn the login into a 403.
    """
    if request.path == LOGIN_PATH:
        bound_to = request.cookies.get(LOGIN_COOKIE) or request.get(_NEW_LOGIN_COOKIE) or ""
    else:
        bound_to = request.get(TOKEN) or ""
    if not bound_to:
        return ""
    return hmac.new(request.app[SETTINGS].csrf_key, bound_to.encode(), hashlib.sha256).hexdigest()


_NEW_LOGIN_COOKIE = web.RequestKey("admin_new_login_cookie", str)


def ensure_login_cookie(request: web.Request) -> str | None:
    """A login cookie for the form's token; the new value to set, or None when the browser has one."""
    if request.cookies.get(LOGIN_COOKIE):
        return None
    value = secrets.token_urlsafe(24)
    request[_NEW_LOGIN_COOKIE] = value
    return value


async def check_csrf(request: web.Request) -> None:
    """403 unless a POST carries the token of its session (or login cookie)."""
    form = await request.post()  # over the size limit: 413
    sent = form.get(CSRF_FIELD)
    expected = csrf_token(request)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise web.HTTPForbidden(reason="Formularen er udløbet eller kom ikke fra konsollen. Hent siden igen.")


async def load_session(request: web.Request) -> None:
    """Put the live session and its user on the request, if the cookie names one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return
    stores = request.app[STORES]
    session = await stores.sessions.resume(token, now(request))
    if session is None:
        return
    user = await stores.users.get(session.user_id)
    if user is None or not user.active:
        await stores.sessions.revoke(session.id, now(request))
        return
    request[SESSION] = session
    request[TOKEN] = token
    request[USER] = user


def login_url(request: web.Request) -> str:
    """The login page, which sends the user back to the page asked for (GET only) afterwards."""
    target = request.path_qs if request.method == "GET" else "/admin/"
    return "/admin/login?next=" + quote(target, safe="")


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site (`//evil`, `https://…`)."""
    if not target:
        return "/admin/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/admin/") or "\\" in target:
        return "/admin/"
    return target


def current_user(request: web.Request) -> User:
    """The logged-in user with both factors done; otherwise off to the login (or to finish it)."""
    session: Session | None = request.get(SESSION)
    if session is None:
        raise web.HTTPSeeOther(login_url(request))
    if session.stage is Stage.SECOND_FACTOR:
        raise web.HTTPSeeOther("/admin/login/second-factor")
    if session.stage is Stage.ENROL:
        raise web.HTTPSeeOther("/admin/account/second-factor")
    return request[USER]


def forbid() -> web.HTTPForbidden:
    return web.HTTPForbidden(reason="Du har ikke adgang til denne side.")
