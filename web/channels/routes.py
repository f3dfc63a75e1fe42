"""One call from create_app adds the web channels: embed script, chat UI, deep links, QR, SMS links."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from muni.sms import SmsSender, SmsSettings, sms_sender
from web.channels import pages, qr, ratings, sms_links
from web.channels.security import preflight, security_headers
from web.channels.sms_log import SmsLinkLog
from web.channels.state import SMS_LIMITERS, SMS_LOG, SMS_SENDER, SmsLimiters
from web.limits import RateLimiter, TokenBucketLimiter
from web.state import LOG, SETTINGS

HOUR_S = 3600.0


def add_web_channel_routes(
    app: web.Application,
    *,
    sms: SmsSender | None = None,
    sms_per_key: RateLimiter | None = None,
    sms_per_recipient: RateLimiter | None = None,
) -> None:
    """Routes, security headers and resources of the web channels; `sms` defaults to Twilio or the outbox."""
    channels = app[SETTINGS].channels
    if sms is not None:
        app[SMS_SENDER] = sms
    app[SMS_LIMITERS] = SmsLimiters(
        per_key=sms_per_key or TokenBucketLimiter(channels.sms_per_key_per_hour, HOUR_S),
        per_recipient=sms_per_recipient or TokenBucketLimiter(channels.sms_per_recipient_per_hour, HOUR_S),
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
    router.add_route("OPTIONS", "/api/v1/conversations", preflight)
    router.add_route("OPTIONS", "/api/v1/conversations/{tail:.+}", preflight)
    router.add_route("OPTIONS", "/embed/{tail:.+}", preflight)


async def _sms(app: web.Application) -> AsyncIterator[None]:
    # After the conversation log's context: the SMS-link log lives in the same database.
    app[SMS_LOG] = await SmsLinkLog.open(app[LOG].engine)
    if SMS_SENDER not in app:
        app[SMS_SENDER] = sms_sender(SmsSettings.from_env(app[SETTINGS].secret_key.encode("utf-8")))
    yield
