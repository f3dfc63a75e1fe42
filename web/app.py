"""The gateway application: routes, middleware and the resources it opens and closes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone

import aiohttp
from aiohttp import web

from voice.app import mount_voice
from voice.state import VoiceConfig
from muni.sealed import ContactSealer
from web import chat, health
from web.channels.routes import add_web_channel_routes
from web.conversations import Conversations
from web.directory import Directory
from web.errors import error_middleware
from web.limits import RateLimiter, TokenBucketLimiter
from web.rasa import RasaClient
from web.settings import GatewaySettings
from web.state import (
    CLOCK,
    CONVERSATIONS,
    DIRECTORY,
    HTTP,
    LIMITERS,
    LOG,
    SETTINGS,
    SIGNER,
    Limiters,
)
from web.store import ConversationLog
from web.tokens import TokenSigner

MAX_BODY_BYTES = 16 * 1024


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(
    settings: GatewaySettings,
    directory: Directory,
    *,
    now: Callable[[], datetime] = utc_now,
    message_limiter: RateLimiter | None = None,
    conversation_limiter: RateLimiter | None = None,
    voice: VoiceConfig | None = None,
) -> web.Application:
    """Build the gateway; nothing is opened until the application starts."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[error_middleware])
    app[SETTINGS] = settings
    app[DIRECTORY] = directory
    app[CLOCK] = now
    app[SIGNER] = TokenSigner(settings.secret_key)
    if message_limiter is None:
        message_limiter = TokenBucketLimiter(settings.messages_per_minute, 60.0)
    if conversation_limiter is None:
        conversation_limiter = TokenBucketLimiter(settings.conversations_per_minute, 60.0)
    app[LIMITERS] = Limiters(messages=message_limiter, conversations=conversation_limiter)
    app.cleanup_ctx.append(_http_session)
    app.cleanup_ctx.append(_conversation_log)
    app.cleanup_ctx.append(_conversations)
    _add_routes(app)
    if voice is not None:  # only with TWILIO_AUTH_TOKEN: unsigned calls are never served
        mount_voice(app, voice, settings.database_url)
    add_web_channel_routes(app)
    return app


def _add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_post("/api/v1/conversations", chat.create_conversation)
    app.router.add_post("/api/v1/conversations/{conversation_id}/messages", chat.post_message)


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[HTTP] = session
        yield


async def _conversation_log(app: web.Application) -> AsyncIterator[None]:
    log = await ConversationLog.open(app[SETTINGS].database_url)
    app[LOG] = log
    try:
        yield
    finally:
        await log.close()


async def _conversations(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    rasa = RasaClient(app[HTTP], settings.rasa_url, settings.rasa_timeout_s)
    app[CONVERSATIONS] = Conversations(
        app[LOG], rasa, app[DIRECTORY], app[CLOCK], sealer=ContactSealer(settings.secret_key)
    )
    yield
