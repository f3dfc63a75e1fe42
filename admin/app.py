"""The console as a sub-application of the gateway under /admin: middlewares, routes, templates."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from admin import accounts, login, pages, statistics, transcripts, unanswered
from admin.audit import AuditLog
from admin.guard import check_csrf, load_session
from admin.inactivity import expire_inactive
from admin.sessions import SessionStore
from admin.settings import AdminSettings
from admin.state import ADMIN_APP, SETTINGS, STORES, Stores
from admin.throttle import LoginThrottle
from admin.users import UserStore
from conversation.state import CLOCK, ENGINE
from conversation.statistics.aggregate import Statistics

logger = logging.getLogger("muni.admin")

PREFIX = "/admin"
HERE = Path(__file__).resolve().parent
EXPIRY_EVERY = timedelta(days=1)
AGGREGATE_EVERY = timedelta(hours=1)
# No script at all: every page works as plain HTML forms.
POLICY = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_ERRORS = {
    400: "Forespørgslen kunne ikke forstås.",
    403: "Du har ikke adgang til denne side.",
    404: "Siden findes ikke.",
    405: "Den handling kan ikke bruges her.",
    413: "Formularen er for stor.",
    429: "For mange forsøg. Vent lidt, og prøv igen.",
}


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Danish HTML for every error, and the console's security headers on every response."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            _secure(error)
            raise
        response = _error_page(request, error.status, error.reason if error.status == 403 else None)
    except Exception:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        response = _error_page(request, 500, None)
    _secure(response)
    return response


def _secure(response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)


def _error_page(request: web.Request, status: int, reason: str | None) -> web.Response:
    message = reason if reason and status == 403 else _ERRORS.get(status, "Der opstod en fejl. Prøv igen senere.")
    return pages.render(request, "error.html", {"status": status, "message": message}, status=status)


@web.middleware
async def session_and_csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    await load_session(request)
    if request.method == "POST":
        await check_csrf(request)
    return await handler(request)


@functools.cache
def _stylesheet() -> bytes:
    return (HERE / "static" / "admin.css").read_bytes()


async def stylesheet(request: web.Request) -> web.Response:
    response = web.Response(body=_stylesheet(), content_type="text/css", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


async def not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


def create_admin_app(settings: AdminSettings) -> web.Application:
    app = web.Application(middlewares=[errors, session_and_csrf])
    app[SETTINGS] = settings
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    router = app.router
    router.add_get("/static/admin.css", stylesheet)
    router.add_get("/login", login.login_form)
    router.add_post("/login", login.login)
    router.add_get("/login/second-factor", login.second_factor_form)
    router.add_post("/login/second-factor", login.second_factor)
    router.add_post("/logout", login.logout)
    router.add_get("/account/second-factor", accounts.enrol_form)
    router.add_post("/account/second-factor", accounts.enrol)
    router.add_get("/", pages.home)
    router.add_get("/m/{slug}/", pages.municipality)
    router.add_get("/users", accounts.user_list)
    router.add_post("/users", accounts.create_user)
    router.add_post(r"/users/{user_id:\d+}/deactivate", accounts.deactivate_user)
    router.add_post(r"/users/{user_id:\d+}/role", accounts.change_role)
    router.add_get("/audit", pages.audit_log)
    router.add_get("/stats", statistics.consortium_page)
    router.add_get("/stats.csv", statistics.consortium_csv)
    router.add_get("/m/{slug}/stats", statistics.statistics_page)
    router.add_get("/m/{slug}/stats.csv", statistics.statistics_csv)
    router.add_get("/m/{slug}/conversations", transcripts.conversation_list)
    router.add_get("/m/{slug}/conversations/{conversation_id}", transcripts.conversation)
    router.add_get("/m/{slug}/unanswered", unanswered.work_list)
    router.add_post(r"/m/{slug}/unanswered/{group_id:\d+}/handled", unanswered.mark_handled)
    router.add_route("*", "/{tail:.*}", not_found)  # the console's own 404 page, not the API's JSON
    return app


def mount_admin(gateway: web.Application, settings: AdminSettings) -> web.Application:
    """Serve the console under /admin on the gateway's engine and clock (the conversation core's)."""
    admin = create_admin_app(settings)

    async def stores(gateway: web.Application) -> AsyncIterator[None]:
        engine = gateway[ENGINE]
        admin[STORES] = stores = Stores(
            users=UserStore(engine), sessions=SessionStore(engine), audit=AuditLog(engine), throttle=LoginThrottle(engine)
        )
        tasks = [
            asyncio.create_task(_expire_daily(stores, gateway)),
            asyncio.create_task(_aggregate_hourly(Statistics(engine), gateway)),
        ]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    gateway.cleanup_ctx.append(stores)
    gateway.router.add_get(PREFIX, _to_console)
    gateway.add_subapp(PREFIX, admin)
    gateway[ADMIN_APP] = admin
    return admin


async def _to_console(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently(PREFIX + "/")


async def _aggregate_hourly(statistics: Statistics, gateway: web.Application) -> None:
    """At start and then every hour: aggregate the days that have closed (each once; see aggregate.py)."""
    clock = gateway[CLOCK]
    while True:
        try:
            days = await statistics.aggregate_closed_days(clock())
            if days:
                logger.info("Statistics aggregated for %d day(s), up to %s", len(days), days[-1])
        except Exception:
            logger.exception("The statistics job failed; it runs again in an hour")
        await asyncio.sleep(AGGREGATE_EVERY.total_seconds())


async def _expire_daily(stores: Stores, gateway: web.Application) -> None:
    """At start and then once a day: warn and remove inactive users (muni admin expire-inactive does the same)."""
    clock = gateway[CLOCK]
    while True:
        try:
            report = await expire_inactive(stores.users, stores.audit, clock())
            if report.warned or report.removed:
                logger.info("Inactive console users: %d warned, %d removed", len(report.warned), len(report.removed))
        except Exception:
            logger.exception("The inactive-user job failed; it runs again in a day")
        await asyncio.sleep(EXPIRY_EVERY.total_seconds())
