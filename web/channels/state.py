"""Typed application state of the web channels."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from sms.links import SmsLinks
from sms.sender import SmsSender
from web.limits import RateLimiter


@dataclass(frozen=True)
class SmsLimiters:
    per_key: RateLimiter  # keyed by the agent key's name
    per_recipient: RateLimiter  # keyed by the recipient's hash


SMS_SENDER = web.AppKey("sms_sender", SmsSender)
SMS_LIMITERS = web.AppKey("sms_limiters", SmsLimiters)
# Opened in cleanup_ctx:
SMS_LINKS = web.AppKey("sms_links", SmsLinks)  # the log on the engine, the sender, the limits
