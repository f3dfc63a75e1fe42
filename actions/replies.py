"""What every action shares: the collaborators, the prompts, and the reply metadata.

Each answer ends with one custom message, ``{"muni": {...}}``, that tells the
gateway which topic the answer is about and where it came from (the chat
API's ``topic``, ``source`` and ``handoff``), plus links and any local
variable the guide lacked.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge import ContactCentre, GuideLibrary
from knowledge.safety import SafetyLines
from muni.replies import Link, Source, muni_meta

PROMPTS_PATH = Path(__file__).with_name("prompts.yml")
UNKNOWN_MUNICIPALITY_NAME = "kommunen"


@functools.cache
def library() -> GuideLibrary:
    return GuideLibrary.load()


@functools.cache
def contact_centre() -> ContactCentre:
    return ContactCentre.load()


@functools.cache
def safety_lines() -> SafetyLines:
    return SafetyLines.load()


@functools.cache
def prompts() -> Mapping[str, Any]:
    return yaml.safe_load(PROMPTS_PATH.read_text(encoding="utf-8"))


def municipality_slug(tracker: Tracker) -> str | None:
    """The municipality the gateway put in the message metadata (latest turn first)."""
    slug = (tracker.latest_message.get("metadata") or {}).get("municipality")
    if slug:
        return slug
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (slug := (event.get("metadata") or {}).get("municipality")):
            return slug
    return None


def municipality_name(slug: str | None) -> str:
    municipality = library().municipalities.get(slug or "")
    return municipality.name if municipality else UNKNOWN_MUNICIPALITY_NAME


def say(dispatcher: CollectingDispatcher, key: str, **values: str) -> None:
    """Utter the prompt ``key`` from prompts.yml with its {names} filled in."""
    prompt = prompts()[key]
    dispatcher.utter_message(text=prompt["text"].format(**values), buttons=prompt.get("buttons", []))


def report(
    dispatcher: CollectingDispatcher,
    *,
    topic: str | None,
    source: Source,
    handoff: bool = False,
    links: Iterable[Mapping[str, str]] = (),
    missing: Iterable[str] = (),
) -> None:
    """Tell the gateway what this answer is (the contract in muni/replies.py)."""
    link_list: list[Link] = [{"title": link["title"], "url": link["url"]} for link in links]
    dispatcher.utter_message(
        json_message=muni_meta(
            topic=topic,
            source=source,
            handoff=handoff,
            links=link_list,
            missing=[{"topic": topic, "variable": variable} for variable in missing],
        )
    )
