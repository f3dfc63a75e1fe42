"""Fakes and helpers for the gateway tests: a fake Rasa whose behaviour each test sets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from conversation.log import ConversationLog
from conversation.state import LOG

SECRET = "test-secret-key-0123456789-abcdefghij"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CONTACT_PHONE = "70 20 30 40"
CONTACT_HOURS = "mandag-torsdag 8-20, fredag 8-16, søndag 16-20"
CONTACT_HOURS_EN = "Monday-Thursday 8:00-20:00, Friday 8:00-16:00, Sunday 16:00-20:00"

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]


@dataclass
class FakeContactCentre:
    phone: str = CONTACT_PHONE
    asked_at: list[datetime] = field(default_factory=list)

    def hours_text(self, at: datetime | None = None, language: str = "da") -> str:
        return CONTACT_HOURS_EN if language == "en" else CONTACT_HOURS

    def status_text(self, at: datetime, language: str = "da") -> str:
        self.asked_at.append(at)
        return "The contact centre is open now." if language == "en" else "Kontaktcentret har åbent nu."


def bot_text(text: str, **extra: Any) -> dict[str, Any]:
    return {"recipient_id": "ignored", "text": text, **extra}


def muni_meta(topic: Any = None, source: Any = "conversation", handoff: Any = False, **extra: Any) -> dict[str, Any]:
    """A custom item carrying the action server's meta (any values: tests send malformed ones too)."""
    meta = {"topic": topic, "source": source, "handoff": handoff, **extra}
    return {"recipient_id": "ignored", "custom": {"muni": meta}}


def default_reply(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Greets on /greeting, answers everything else as the passport guide."""
    if message["message"] == "/greeting":
        municipality = message["metadata"]["municipality"]
        return [bot_text(f"Hej! Jeg er {municipality}s digitale assistent."), muni_meta()]
    return [
        bot_text("Du kan bestille pas i Borgerservice."),
        bot_text(
            "Vil du bestille tid?",
            buttons=[{"title": "Bestil tid", "payload": "/appointment_booking"}],
        ),
        muni_meta(
            topic="passport",
            source="guide",
            links=[{"title": "Pas på borger.dk", "url": "https://www.borger.dk/pas"}],
        ),
    ]


class FakeRasa:
    """Stands in for Rasa's muni channel, Rasa's /status and the action server's /health and /knowledge/health."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.request_ids: list[str | None] = []  # the X-Request-ID header of each webhook call
        self.reply: Callable[[dict[str, Any]], Any] = default_reply
        self.webhook_status = 200
        self.raw_body: bytes | None = None  # sent verbatim instead of JSON when set
        self.hang = False  # never answer (until the test ends)
        self.delay_s = 0.0  # answer this much later (a slow Rasa)
        self.model_file: str | None = "models/20260301-muni.tar.gz"
        self.status_code = 200
        self.health_code = 200
        self.knowledge: tuple[int, dict[str, Any]] = (200, {"status": "ok", "passages": 1200})
        self.token: str | None = None  # when set, /status wants ?token= as Rasa's --auth-token does
        self.tracker_state: dict[str, Any] | None = None  # the tracker's /conversations/{id}/tracker (None: 404)
        self.execute_replies: list[list[dict[str, Any]]] = []  # what each /execute says, in turn ([] once used up)
        self.executed: list[tuple[str, str, str | None]] = []  # (conversation, action, token) of each /execute
        self.on_execute: Callable[[], None] | None = None  # run at each /execute (the tracker may change)
        self.tracker_queries: list[str | None] = []  # the include_events of each tracker read
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/status", self._status)
        app.router.add_get("/health", self._health)
        app.router.add_get("/knowledge/health", self._knowledge_health)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_post("/conversations/{sender}/execute", self._execute)
        return app

    async def _tracker(self, request: web.Request) -> web.Response:
        if self.token is not None and request.query.get("token") != self.token:
            return web.json_response({"reason": "NotAuthenticated"}, status=401)
        self.tracker_queries.append(request.query.get("include_events"))
        if self.tracker_state is None:
            return web.json_response({"reason": "NotFound"}, status=404)
        return web.json_response(self.tracker_state)

    async def _execute(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.executed.append((request.match_info["sender"], body["name"], request.query.get("token")))
        messages = self.execute_replies.pop(0) if self.execute_replies else []
        if self.on_execute is not None:
            self.on_execute()
        return web.json_response({"tracker": self.tracker_state, "messages": messages})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        self.request_ids.append(request.headers.get("X-Request-ID"))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.hang:
            await self._released.wait()
        if self.raw_body is not None:
            return web.Response(body=self.raw_body, content_type="application/json")
        if self.webhook_status != 200:
            # Echo what arrived, as real error pages often do: it must already be redacted.
            return web.Response(status=self.webhook_status, text=f"failed on {body['message']}")
        return web.json_response(self.reply(body))

    async def _status(self, request: web.Request) -> web.Response:
        if self.token is not None and request.query.get("token") != self.token:
            return web.json_response({"reason": "NotAuthenticated"}, status=401)
        if self.hang:
            await self._released.wait()
        return web.json_response({"model_file": self.model_file}, status=self.status_code)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=self.health_code)

    async def _knowledge_health(self, request: web.Request) -> web.Response:
        status, body = self.knowledge
        return web.json_response(body, status=status)

    @property
    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]


def conversation_log(client: Client) -> ConversationLog:
    return client.app[LOG]


async def start(client: Client, **body: Any) -> dict[str, Any]:
    """Open a conversation (aarhus, web unless given) and return the 201 body."""
    payload = {"municipality": "aarhus", "channel": "web", **body}
    response = await client.post("/api/v1/conversations", json=payload)
    assert response.status == 201, await response.text()
    opened: dict[str, Any] = await response.json()
    return opened


async def say(client: Client, conversation: dict[str, Any], **body: Any) -> ClientResponse:
    """Post a message with the conversation's token; returns the raw response."""
    return await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages",
        json=body,
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )


async def error_of(response: ClientResponse) -> dict[str, str]:
    """The error object of a response, after checking it has exactly the contract's shape."""
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    error: dict[str, str] = body["error"]
    return error
