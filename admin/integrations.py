"""The integrations page: booking (licensed, healthy, a connection test), SMS, the website's crawl, the embed snippet."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.crawls import CrawlRunner
from admin.guard import client, current_user, forbid, now
from admin.pages import municipality_nav, render
from admin.ports import ConnectionCheckView
from admin.roles import User, may_start_crawl, may_view_integrations
from admin.state import INTEGRATIONS, SETTINGS, SMS_LINKS, STORES
from conversation.state import DIRECTORY


def _checked_slug(request: web.Request, user: User) -> str:
    slug = request.match_info["slug"]
    if slug not in request.config_dict[DIRECTORY].municipalities:
        raise web.HTTPNotFound()
    if not may_view_integrations(user, slug):
        raise forbid()
    return slug


async def _page(
    request: web.Request, user: User, slug: str, *, check: ConnectionCheckView | None = None, notice: str | None = None
) -> web.Response:
    directory = request.config_dict[DIRECTORY]
    desk = request.app[INTEGRATIONS]
    crawls: CrawlRunner = desk.crawls
    embedding = directory.embeddings.get(slug)
    public_url = request.app[SETTINGS].public_url.rstrip("/")
    context: dict[str, Any] = {
        "slug": slug,
        "name": directory.municipalities[slug],
        "municipality_nav": municipality_nav(slug, user, current="integrations"),
        "booking_enabled": slug in directory.booking_enabled,
        "booking": await desk.booking.health(slug),
        "check": check,
        "twilio": not request.app[SMS_LINKS].sandbox,
        "crawl": await crawls.summary(slug),
        "crawl_started_here": crawls.running(slug),
        "crawl_stage": crawls.stage(slug),
        "crawl_failed": crawls.failed(slug),
        "may_crawl": may_start_crawl(user),
        "snippet": f'<script src="{public_url}/embed.js" data-municipality="{slug}" async></script>',
        "origins": () if embedding is None else embedding.origins,
        "notice": notice,
    }
    return render(request, "integrations.html", context)


async def integrations_page(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/integrations."""
    user = current_user(request)
    slug = _checked_slug(request, user)
    notice = "Gennemgangen af hjemmesiden er startet." if request.query.get("crawl") == "started" else None
    return await _page(request, user, slug, notice=notice)


async def test_booking(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/integrations/booking-test – one call to the booking API, within its timeouts."""
    user = current_user(request)
    slug = _checked_slug(request, user)
    check = await request.app[INTEGRATIONS].booking.check(slug)
    await request.app[STORES].audit.record(
        "integration.booking_tested", now(request), actor_id=user.id, client=client(request), municipality=slug,
        ok=check.ok, latency_ms=check.latency_ms,
    )
    return await _page(request, user, slug, check=check)


async def start_crawl(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/integrations/crawl – consortium admins start a crawl; the page shows its progress."""
    user = current_user(request)
    slug = _checked_slug(request, user)
    if not may_start_crawl(user):
        raise forbid()
    started = request.app[INTEGRATIONS].crawls.start(slug)
    if started:
        await request.app[STORES].audit.record(
            "integration.crawl_started", now(request), actor_id=user.id, client=client(request), municipality=slug
        )
    raise web.HTTPSeeOther(f"/admin/m/{slug}/integrations?crawl=started")
