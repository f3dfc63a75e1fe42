"""Puts the chat API and the web channels on the gateway, on top of the conversation core."""

from __future__ import annotations

from aiohttp import web

from sms.sender import SmsSender
from web import chat
from web.channels.routes import add_web_channel_routes
from web.limits import LimiterFactory, RateLimiter, local_limiters
from web.settings import WebSettings
from web.state import LIMITERS, SETTINGS, SIGNER, Limiters
from web.tokens import TokenSigner

MINUTE_S = 60.0


def add_web(
    app: web.Application,
    settings: WebSettings,
    sms: SmsSender,
    *,
    message_limiter: RateLimiter | None = None,
    conversation_limiter: RateLimiter | None = None,
    limiters: LimiterFactory = local_limiters,
) -> None:
    """The chat API, embed script, chat UI, deep links, QR codes, ratings and SMS links.

    `limiters` makes every rate limit not given (in this process, or in Redis for several replicas).
    """
    app[SETTINGS] = settings
    app[SIGNER] = TokenSigner(settings.secret_key)
    app[LIMITERS] = Limiters(
        messages=message_limiter or limiters("messages", settings.messages_per_minute, MINUTE_S),
        conversations=conversation_limiter or limiters("conversations", settings.conversations_per_minute, MINUTE_S),
    )
    app.router.add_post("/api/v1/conversations", chat.create_conversation)
    app.router.add_post("/api/v1/conversations/{conversation_id}/messages", chat.post_message)
    add_web_channel_routes(app, sms, limiters=limiters)
