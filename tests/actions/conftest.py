from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# Monday 23 November 2026, 10:00 in Copenhagen (the contact centre is open).
OPEN_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# Saturday 28 November 2026, 10:00 in Copenhagen (closed all day).
CLOSED_NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def make_tracker(
    *,
    intent: str,
    text: str = "",
    municipality: str | None = "aarhus",
    slots: dict[str, Any] | None = None,
    ranking: list[tuple[str, float]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    metadata = {**({"municipality": municipality} if municipality else {}), **(metadata or {})}
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [(intent, 0.9)])],
        "entities": [],
        "metadata": metadata,
    }
    return Tracker(
        sender_id="test-conversation",
        slots={"failed_turns": 0, **(slots or {})},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest, "metadata": metadata}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def meta(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """The reply metadata the gateway reads: exactly one per answer, last."""
    customs = [m["custom"]["muni"] for m in dispatcher.messages if m.get("custom")]
    assert len(customs) == 1, dispatcher.messages
    assert dispatcher.messages[-1].get("custom"), "metadata comes after the text"
    return customs[0]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
