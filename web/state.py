"""Typed application state shared by the gateway's handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from aiohttp import web

from web.conversations import Conversations
from web.directory import Directory
from web.limits import RateLimiter
from web.settings import GatewaySettings
from web.store import ConversationLog
from web.tokens import TokenSigner


@dataclass(frozen=True)
class Limiters:
    messages: RateLimiter  # keyed by conversation id
    conversations: RateLimiter  # keyed by client IP


SETTINGS = web.AppKey("settings", GatewaySettings)
DIRECTORY = web.AppKey("directory", Directory)
SIGNER = web.AppKey("signer", TokenSigner)
LIMITERS = web.AppKey("limiters", Limiters)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
# Opened in cleanup_ctx:
HTTP = web.AppKey("http", aiohttp.ClientSession)
LOG = web.AppKey("log", ConversationLog)
CONVERSATIONS = web.AppKey("conversations", Conversations)
