"""The gateway: the conversation core with every channel on it, composed in one place.

`web/` and `voice/` are independent channels; each builds only on the conversation
core (`conversation/`) and the small shared packages. This module is the one that
knows them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CollectorRegistry

from admin.agents import AGENT_SMS_PER_HOUR
from admin.app import mount_admin
from admin.crawls import CrawlRunner
from admin.ports import BookingDesk
from conversation.core import add_conversation_core
from conversation.directory import Directory
from conversation.metrics import Metrics
from conversation.state import CLOCK, ENGINE
from gateway import health, metrics
from gateway.integrations import GatewayBookingDesk
from gateway.proxies import forwarded_client
from gateway.request_ids import request_id_middleware
from gateway.retention import DataStores, GatewayEraser, run_daily
from gateway.settings import GatewaySettings
from gateway.shared import SharedState, close_on_stop, shared_state
from gateway.state import SETTINGS
from muni.clock import Clock, utc_now
from safety.desk import SafetyDesk
from sms.sender import SmsSender, sms_sender
from voice.app import mount_voice
from voice.state import VoiceConfig
from web.channels.state import SMS_LIMITERS
from web.errors import error_middleware
from web.limits import RateLimiter
from web.setup import add_web

MAX_BODY_BYTES = 16 * 1024
HOUR_S = 3600.0


def create_app(
    settings: GatewaySettings,
    directory: Directory,
    *,
    now: Clock = utc_now,
    message_limiter: RateLimiter | None = None,
    conversation_limiter: RateLimiter | None = None,
    voice: VoiceConfig | None = None,
    sms: SmsSender | None = None,
    registry: CollectorRegistry | None = None,
    safety: SafetyDesk | None = None,
    agent_sms_limiter: RateLimiter | None = None,
    booking: BookingDesk | None = None,
    crawls: CrawlRunner | None = None,
    shared: SharedState | None = None,
) -> web.Application:
    """Build the gateway; nothing is opened until the application starts.

    `registry` holds its Prometheus metrics (a new one when not given, never the global one).
    `shared` is what replicas share (rate limits, webhook replays, turn locks): from the settings
    (Redis with MUNI_REDIS_URL, else this process) unless given.
    """
    if shared is None:
        shared = shared_state(settings.redis_url, settings.redis_prefix, 2 * settings.rasa_timeout_s)
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[request_id_middleware, forwarded_client(settings.trusted_proxies), error_middleware],
    )
    app[SETTINGS] = settings
    add_conversation_core(
        app,
        settings.conversation,
        directory,
        now,
        Metrics(registry or CollectorRegistry()),
        safety=safety,
        turns=shared.turns,
    )
    close_on_stop(app, shared)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics.metrics)
    sender = sms_sender(settings.sms_settings) if sms is None else sms  # one SMS sender for every channel
    add_web(
        app,
        settings.web,
        sender,
        message_limiter=message_limiter,
        conversation_limiter=conversation_limiter,
        limiters=shared.limiters,
    )
    if voice is not None:  # only with TWILIO_AUTH_TOKEN: unsigned calls are never served
        mount_voice(app, voice, sender, shared.replays)
    # The staff console under /admin; its agents' page counts into the API's per-citizen SMS limit.
    mount_admin(
        app,
        settings.admin,
        sender,
        per_agent=agent_sms_limiter or shared.limiters("agent_sms", AGENT_SMS_PER_HOUR, HOUR_S),
        per_recipient=app[SMS_LIMITERS].per_recipient,
        booking=booking or GatewayBookingDesk(app),
        eraser=GatewayEraser(lambda: DataStores.from_env(app[ENGINE], settings.web.phone_hash_key)),
        crawls=crawls,
    )
    app.cleanup_ctx.append(functools.partial(_retention, hash_key=settings.web.phone_hash_key))
    return app


async def _retention(app: web.Application, *, hash_key: bytes) -> AsyncIterator[None]:
    """The nightly retention job (gateway/retention.py) on the gateway's engine and clock."""
    task = asyncio.create_task(run_daily(DataStores.from_env(app[ENGINE], hash_key), app[CLOCK]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
