"""One call from create_app adds the web channels: embed script, chat UI, deep links, QR, SMS links."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from conversation.state import CLOCK, ENGINE
from sms.links import SmsLinkLog, SmsLinks
from sms.sender import SmsSender
from web.channels import crisis, pages, qr, ratings, sms_links
from web.channels.security import preflight, security_headers
from web.channels.state import SMS_LIMITERS, SMS_LINKS, SMS_SENDER, SmsLimiters
from web.limits import LimiterFactory, RateLimiter, local_limiters
from web.state import SETTINGS

HOUR_S = 3600.0


def add_web_channel_routes(
    app: web.Application,
    sms: SmsSender,
    *,
    sms_per_key: RateLimiter | None = None,
    sms_per_recipient: RateLimiter | None = None,
    limiters: LimiterFactory = local_limiters,
) -> None:
    """Routes, security headers and resources of the web channels; `sms` is the gateway's one SMS sender."""
    channels = app[SETTINGS].channels
    app[SMS_SENDER] = sms
    app[SMS_LIMITERS] = SmsLimiters(
        per_key=sms_per_key or limiters("sms_per_key", channels.sms_per_key_per_hour, HOUR_S),
        per_recipient=sms_per_recipient or limiters("sms_per_recipient", channels.sms_per_recipient_per_hour, HOUR_S),
    )
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(_sms)

    router = app.router
    router.add_get("/embed.js", pages.embed_script)
    router.add_get("/embed/{slug}/config", pages.embed_config)
    router.add_get("/static/{name}", pages.asset)
    router.add_get("/widget/{slug}", pages.widget_page)
    router.add_get("/start/{slug}", pages.start_page)
    router.add_get("/start/{slug}/{topic}", pages.start_page)
    router.add_get(r"/qr/{slug}/{topic}.{kind:svg|png}", qr.qr_code)
    router.add_post("/api/v1/conversations/{conversation_id}/rating", ratings.rate_conversation)
    router.add_post("/api/v1/sms-links", sms_links.create_sms_link)
    router.add_get("/api/v1/crisis/{slug}", crisis.public_crisis)
    router.add_route("OPTIONS", "/api/v1/conversations", preflight)
    router.add_route("OPTIONS", "/api/v1/conversations/{tail:.+}", preflight)
    router.add_route("OPTIONS", "/embed/{tail:.+}", preflight)


async def _sms(app: web.Application) -> AsyncIterator[None]:
    # After the conversation core's context: the SMS-link log lives on the same engine.
    limiters = app[SMS_LIMITERS]
    app[SMS_LINKS] = SmsLinks(
        SmsLinkLog(app[ENGINE]),
        app[SMS_SENDER],
        hash_key=app[SETTINGS].phone_hash_key,
        public_url=app[SETTINGS].public_url,
        per_sender=limiters.per_key,
        per_recipient=limiters.per_recipient,
        clock=app[CLOCK],
    )
    yield
