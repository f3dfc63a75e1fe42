"""Typed application state of the chat API and the web channels."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from web.limits import RateLimiter
from web.settings import WebSettings
from web.tokens import TokenSigner


@dataclass(frozen=True)
class Limiters:
    messages: RateLimiter  # keyed by conversation id
    conversations: RateLimiter  # keyed by client IP


SETTINGS = web.AppKey("web_settings", WebSettings)
SIGNER = web.AppKey("signer", TokenSigner)
LIMITERS = web.AppKey("limiters", Limiters)
