"""Typed state of the console's sub-application."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from admin.api_keys import ApiKeyStore
from admin.audit import AuditLog
from admin.crawls import CrawlRunner
from admin.crisis_desk import CrisisDesk
from admin.ports import BookingDesk, Eraser
from admin.sessions import Session, SessionStore
from admin.settings import AdminSettings
from admin.suggestions import SuggestionStore
from admin.throttle import LoginThrottle
from admin.users import UserStore
from knowledge.local_values import LocalValueStore
from sms.links import SmsLinks


@dataclass(frozen=True)
class Stores:
    users: UserStore
    sessions: SessionStore
    audit: AuditLog
    throttle: LoginThrottle
    content: LocalValueStore  # the local values municipalities publish (read by every action server)
    crisis: CrisisDesk
    api_keys: ApiKeyStore
    suggestions: SuggestionStore  # values found on the municipalities' crawled websites


@dataclass(frozen=True)
class Integrations:
    booking: BookingDesk
    crawls: CrawlRunner
    eraser: Eraser


SETTINGS = web.AppKey("admin_settings", AdminSettings)
STORES = web.AppKey("admin_stores", Stores)  # on the gateway's one engine, set when the gateway starts
INTEGRATIONS = web.AppKey("admin_integrations", Integrations)
SMS_LINKS = web.AppKey("admin_sms_links", SmsLinks)  # the agents' page: the same service as the API
ADMIN_APP: web.AppKey[web.Application] = web.AppKey("admin_app")  # on the gateway, for tests and tools
# Per request, set by the session middleware:
SESSION = web.RequestKey("admin_session", Session)
TOKEN = web.RequestKey("admin_token", str)
