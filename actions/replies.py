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
from muni.languages import Language, answer_language
from muni.replies import Link, Source, muni_meta

PROMPTS_PATH = Path(__file__).with_name("prompts.yml")
PROMPTS_EN_PATH = Path(__file__).with_name("prompts_en.yml")
UNKNOWN_MUNICIPALITY_NAME = "kommunen"
UNKNOWN_MUNICIPALITY_NAME_EN = "the municipality"


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
def prompts(language: str = "da") -> Mapping[str, Any]:
    """The prompts in English for "en", else in Danish (the default for every other language)."""
    path = PROMPTS_EN_PATH if language == "en" else PROMPTS_PATH
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def conversation_language(tracker: Tracker) -> Language:
    """The language to answer in: "en" when the gateway's metadata says so (latest turn first), else "da"."""
    language = (tracker.latest_message.get("metadata") or {}).get("language")
    if not language:
        for event in reversed(tracker.events):
            if event.get("event") == "user" and (language := (event.get("metadata") or {}).get("language")):
                break
    return answer_language(language)


def municipality_slug(tracker: Tracker) -> str | None:
    """The municipality the gateway put in the message metadata (latest turn first)."""
    slug = (tracker.latest_message.get("metadata") or {}).get("municipality")
    if slug:
        return slug
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (slug := (event.get("metadata") or {}).get("municipality")):
            return slug
    return None


def municipality_name(slug: str | None, language: str = "da") -> str:
    municipality = library().municipalities.get(slug or "")
    if municipality is not None:
        return municipality.name
    return UNKNOWN_MUNICIPALITY_NAME_EN if language == "en" else UNKNOWN_MUNICIPALITY_NAME


def say(dispatcher: CollectingDispatcher, key: str, language: str = "da", **values: str) -> None:
    """Utter the prompt ``key`` from prompts.yml (prompts_en.yml for "en") with its {names} filled in."""
    prompt = prompts(language)[key]
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
