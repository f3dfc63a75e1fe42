"""Crisis state in the shared database: the rules, last write wins, history, and two replicas reading through a cache."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from crisis.model import MAX_MESSAGE, Crisis, CrisisError, make_crisis, parse_duration
from crisis.store import CrisisBoard, CrisisStore

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def flood(**changes: Any) -> Crisis:
    values: dict[str, Any] = {
        "municipality": "aarhus",
        "title": "Oversvømmelse",
        "message_da": "Undgå området ved åen.",
        "set_by": "cli",
        "now": T0,
    }
    return make_crisis(**{**values, **changes})


def test_default_expiry_is_a_day_and_never_more_than_two_weeks() -> None:
    assert flood().expires_at == T0 + timedelta(hours=24)
    with pytest.raises(CrisisError, match="14 dage"):
        flood(expires_at=T0 + timedelta(days=15))
    with pytest.raises(CrisisError, match="fortiden"):
        flood(expires_at=T0 - timedelta(minutes=5))


def test_a_message_too_long_for_a_banner_is_refused_with_the_limit() -> None:
    with pytest.raises(CrisisError, match=f"højst {MAX_MESSAGE} tegn"):
        flood(message_da="x" * (MAX_MESSAGE + 1))


def test_html_is_kept_as_text() -> None:
    crisis = flood(message_da="<script>alert(1)</script> Kog vandet")
    assert crisis.message_da == "<script>alert(1)</script> Kog vandet"


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "aarhus.dk/krise", "https://"])
def test_a_link_must_be_a_web_address(bad: str) -> None:
    with pytest.raises(CrisisError, match="https://"):
        flood(link=bad)


def test_durations() -> None:
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    with pytest.raises(CrisisError, match="varighed"):
        parse_duration("tomorrow")


async def test_the_later_change_wins_and_both_are_in_the_history(engine: AsyncEngine) -> None:
    store = CrisisStore(engine)
    first = await store.set(flood(title="Storm", set_by="user:anna"))
    second = await store.set(flood(title="Stormflod", set_by="user:bo"))
    assert first.before is None and second.before is not None and second.before.title == "Storm"
    current = await store.get("aarhus")
    assert current is not None and current.title == "Stormflod"
    history = await store.history("aarhus")
    assert [(h["action"], h["actor"]) for h in history] == [("changed", "user:bo"), ("on", "user:anna")]
    off = await store.clear("aarhus", "cli", T0)
    assert off.before is not None and await store.get("aarhus") is None
    assert (await store.history("aarhus"))[0]["action"] == "off"


async def test_two_replicas_see_a_change_within_the_cache_time_and_expiry_by_the_clock(engine: AsyncEngine) -> None:
    clock = Clock()
    writer, reader = CrisisBoard(CrisisStore(engine), clock), CrisisBoard(CrisisStore(engine), clock)
    assert await reader.active("aarhus") is None
    await CrisisStore(engine).set(flood(expires_at=T0 + timedelta(hours=1)))
    writer.forget()
    assert await writer.active("aarhus") is not None
    assert await reader.active("aarhus") is None  # cached a moment ago
    clock.at += timedelta(seconds=6)
    crisis = await reader.active("aarhus")
    assert crisis is not None and crisis.title == "Oversvømmelse"
    assert await reader.active("odense") is None
    clock.at = T0 + timedelta(hours=1)
    assert await reader.active("aarhus") is None and await writer.active("aarhus") is None


async def test_two_admins_at_once_the_later_wins_and_each_saw_what_the_other_left(engine: AsyncEngine) -> None:
    """Two changes racing on one crisis are applied one after the other: the one applied later is what
    stays, and its `before` is the earlier one's result (so the audit log tells the true story)."""
    store = CrisisStore(engine)
    await store.set(flood(title="Storm", set_by="user:carl"))
    for _ in range(5):
        anna, bo = flood(title="Anna", set_by="user:anna"), flood(title="Bo", set_by="user:bo")
        changes = await asyncio.gather(store.set(anna), store.set(bo))
        history = await store.history("aarhus", limit=2)
        later = history[0]["actor"]
        current = await store.get("aarhus")
        assert current is not None and current.set_by == later
        first, second = sorted(changes, key=lambda c: c.after is not None and c.after.set_by == later)
        assert second.before is not None and first.after is not None and second.before.title == first.after.title
        assert {h["actor"] for h in history} == {"user:anna", "user:bo"}


async def test_a_crisis_turned_on_twice_at_once_is_on_once_and_changed_once(engine: AsyncEngine) -> None:
    store = CrisisStore(engine)
    changes = await asyncio.gather(store.set(flood(set_by="user:anna")), store.set(flood(set_by="user:bo")))
    assert sorted(change.before is None for change in changes) == [False, True]
    assert sorted(h["action"] for h in await store.history("aarhus")) == ["changed", "on"]
