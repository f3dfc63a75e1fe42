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

from admin import (
    accounts,
    agents,
    content,
    content_csv,
    content_suggestions,
    crisis_api,
    crisis_pages,
    data_rights,
    guides,
    integrations,
    login,
    pages,
    statistics,
    transcripts,
    unanswered,
)
from admin.api_keys import ApiKeyStore
from admin.audit import AuditLog
from admin.crawls import CrawlRunner
from admin.crisis_desk import CrisisDesk
from admin.crisis_values import PublishedCrisisValues
from admin.guard import check_csrf, load_session
from admin.inactivity import expire_inactive
from admin.ports import BookingDesk, Eraser
from admin.sessions import SessionStore
from admin.settings import AdminSettings
from admin.state import ADMIN_APP, INTEGRATIONS, SETTINGS, SMS_LINKS, STORES, Integrations, Stores
from admin.suggestions import SuggestionStore
from admin.throttle import LoginThrottle
from admin.users import UserStore
from conversation.state import CLOCK, CONVERSATIONS, CRISES, ENGINE
from conversation.statistics.aggregate import Statistics
from crisis.store import CrisisStore
from knowledge.local_values import LocalValueStore
from sms.links import Limiter, SmsLinkLog, SmsLinks
from sms.sender import SmsSender

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


async def secure_prepared(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the same headers on a response a handler streams itself (the CSV exports),
    which is sent before `errors` sees it."""
    _secure(response)


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
    app.on_response_prepare.append(secure_prepared)
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
    router.add_get("/m/{slug}/content", content.content_page)
    router.add_get("/m/{slug}/content.csv", content_csv.export_csv)
    router.add_get("/m/{slug}/content/import", content_csv.import_form)
    router.add_post("/m/{slug}/content/import", content_csv.check_import)
    router.add_post("/m/{slug}/content/import/confirm", content_csv.confirm_import)
    router.add_get("/m/{slug}/content/preview", content.preview_topic)
    router.add_post(r"/m/{slug}/content/{variable:[a-z][a-z0-9_]*}", content.change_value)
    router.add_get("/m/{slug}/content/history", content.history_page)
    router.add_post(r"/m/{slug}/content/history/{change_id:\d+}/revert", content.revert_change)
    router.add_post(r"/m/{slug}/content/suggestions/{suggestion_id:\d+}/accept", content_suggestions.accept)
    router.add_post(r"/m/{slug}/content/suggestions/{suggestion_id:\d+}/reject", content_suggestions.reject)
    router.add_get("/m/{slug}/guides", guides.guide_list)
    router.add_get(r"/m/{slug}/guides/{topic:[a-z][a-z0-9_]*}", guides.guide_form)
    router.add_post(r"/m/{slug}/guides/{topic:[a-z][a-z0-9_]*}", guides.change_guide)
    router.add_get("/m/{slug}/agents", agents.agents_page)
    router.add_post("/m/{slug}/agents", agents.send_link)
    router.add_get("/m/{slug}/integrations", integrations.integrations_page)
    router.add_post("/m/{slug}/integrations/booking-test", integrations.test_booking)
    router.add_post("/m/{slug}/integrations/crawl", integrations.start_crawl)
    router.add_get("/users", accounts.user_list)
    router.add_post("/users", accounts.create_user)
    router.add_post(r"/users/{user_id:\d+}/deactivate", accounts.deactivate_user)
    router.add_post(r"/users/{user_id:\d+}/role", accounts.change_role)
    router.add_get("/audit", pages.audit_log)
    router.add_get("/retention", data_rights.retention_page)
    router.add_post("/retention", data_rights.set_retention)
    router.add_get("/erasure", data_rights.erasure_page)
    router.add_post("/erasure", data_rights.erase_data)
    router.add_get("/crisis", crisis_pages.crisis_page)
    router.add_post("/crisis/on", crisis_pages.crisis_on)
    router.add_post("/crisis/off", crisis_pages.crisis_off)
    router.add_post("/crisis/keys", crisis_pages.issue_key)
    router.add_post(r"/crisis/keys/{key_id:\d+}/revoke", crisis_pages.revoke_key)
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


def mount_admin(
    gateway: web.Application,
    settings: AdminSettings,
    sms: SmsSender,
    *,
    per_agent: Limiter,
    per_recipient: Limiter,
    booking: BookingDesk,
    eraser: Eraser,
    crawls: CrawlRunner | None = None,
) -> web.Application:
    """Serve the console under /admin on the gateway's engine and clock (the conversation core's).

    `sms` is the gateway's one SMS sender; `per_recipient` the limit the SMS-link API counts in too;
    `booking` the booking backend's health and connection test; `eraser` erasure over every store.
    """
    admin = create_admin_app(settings)
    admin[INTEGRATIONS] = desk = Integrations(
        booking=booking, crawls=crawls or CrawlRunner(settings.crawl_dir), eraser=eraser
    )

    async def stores(gateway: web.Application) -> AsyncIterator[None]:
        engine = gateway[ENGINE]
        admin[SMS_LINKS] = SmsLinks(
            SmsLinkLog(engine),
            sms,
            hash_key=settings.phone_hash_key,
            public_url=settings.public_url,
            per_sender=per_agent,
            per_recipient=per_recipient,
            clock=gateway[CLOCK],
        )
        audit = AuditLog(engine)
        admin[STORES] = stores = Stores(
            users=UserStore(engine),
            sessions=SessionStore(engine),
            audit=audit,
            throttle=LoginThrottle(engine),
            content=LocalValueStore(engine),
            crisis=CrisisDesk(CrisisStore(engine), audit, gateway[CRISES]),
            api_keys=ApiKeyStore(engine),
            suggestions=SuggestionStore(engine),
        )
        # The gateway's own crisis answer carries what the municipality filled in here (the akutguide's values).
        gateway[CONVERSATIONS].use_crisis_values(PublishedCrisisValues(stores.content, gateway[CLOCK]))
        tasks = [
            asyncio.create_task(_expire_daily(stores, gateway)),
            asyncio.create_task(_aggregate_hourly(Statistics(engine), gateway)),
        ]
        yield
        await desk.crawls.close()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    gateway.cleanup_ctx.append(stores)
    gateway.router.add_get(PREFIX, _to_console)
    # The emergency systems' API: staff API keys, so it lives with the console's stores and audit log.
    gateway.router.add_put("/api/v1/crisis/{slug}", crisis_api.put_crisis)
    gateway.router.add_delete("/api/v1/crisis/{slug}", crisis_api.delete_crisis)
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
