"""The reply contract shared by the action server and the gateway (the chat API in shared/DESIGN.md).

An action's answer is its text messages followed by one custom message,
``{"muni": MuniMeta}``, that tells the gateway which topic the answer is about and
where it came from; the gateway turns both into the chat API's reply.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

Channel = Literal["web", "sms", "qr", "voice", "api"]
CHANNELS: frozenset[str] = frozenset({"web", "sms", "qr", "voice", "api"})

Source = Literal["guide", "web", "booking", "safety", "conversation", "fallback", "handoff"]
SOURCES: frozenset[str] = frozenset({"guide", "web", "booking", "safety", "conversation", "fallback", "handoff"})

META_KEY = "muni"
# How long the gateway waits for the bot's answer by default (MUNI_RASA_TIMEOUT_S); the actions
# must answer well inside it (booking calls are checked against it at start).
DEFAULT_ANSWER_WAIT_S = 8.0


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


class Missing(TypedDict):
    """A local variable the answer's guide lacked for the municipality (a gap for staff to fill)."""

    topic: str | None
    variable: str


class MuniMeta(TypedDict):
    topic: str | None
    source: Source
    handoff: bool
    links: list[Link]
    missing: list[Missing]


def muni_meta(
    *,
    topic: str | None,
    source: Source,
    handoff: bool = False,
    links: list[Link] | None = None,
    missing: list[Missing] | None = None,
) -> dict[str, MuniMeta]:
    """The custom message that ends every answer."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    meta: MuniMeta = {
        "topic": topic,
        "source": source,
        "handoff": handoff,
        "links": [] if links is None else links,
        "missing": [] if missing is None else missing,
    }
    return {META_KEY: meta}
