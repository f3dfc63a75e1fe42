"""Wire shapes of the chat API (the contract in shared/DESIGN.md)."""

from __future__ import annotations

import json
from typing import Any, Literal, NotRequired, TypedDict

from aiohttp import web

Channel = Literal["web", "sms", "qr", "voice", "api"]
CHANNELS: frozenset[str] = frozenset({"web", "sms", "qr", "voice", "api"})

Source = Literal["guide", "web", "booking", "safety", "conversation", "fallback", "handoff"]
SOURCES: frozenset[str] = frozenset({"guide", "web", "booking", "safety", "conversation", "fallback", "handoff"})


class Button(TypedDict):
    title: str
    payload: str


class Link(TypedDict):
    title: str
    url: str


class Message(TypedDict):
    text: str
    buttons: NotRequired[list[Button]]
    links: NotRequired[list[Link]]


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Danish letters as themselves rather than \\u escapes."""
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
