"""When the assistant cannot help: ask what was meant, then say so and offer a human.

A question the guides' intents do not cover is first looked up in the
index of the guides and the municipality's own website (actions/website.py).
Failing that, the first unclear turn gets "Mente du …?" with the likeliest topics as
buttons; an out-of-scope question gets an honest "that is not something I
can help with". A second failed turn in a row offers the contact centre.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guides import answer_guide
from actions.handoff import offer_human
from actions.replies import (
    conversation_language,
    library,
    municipality_name,
    municipality_slug,
    prompts,
    report,
    say,
)
from actions.website import KnowledgeSearch, answer_web, best_passage, retriever
from knowledge import load_topics
from muni.clock import utc_now

MAX_CANDIDATES = 3
MIN_CANDIDATE_CONFIDENCE = 0.05
ANSWERABLE_KINDS = ("guide", "flow")


def _failed_before(tracker: Tracker) -> bool:
    return (tracker.get_slot("failed_turns") or 0) >= 1


def candidate_topics(tracker: Tracker, language: str = "da") -> list[tuple[str, str]]:
    """(topic id, title) of the likeliest answerable topics, best first; the English guide's title for "en"."""
    topics = load_topics()
    guides = library().guides
    candidates = []
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        topic = topics.get(ranked.get("name", ""))
        if topic is None or topic.kind not in ANSWERABLE_KINDS:
            continue
        if ranked.get("confidence", 0.0) < MIN_CANDIDATE_CONFIDENCE:
            break
        guide = guides.get(topic.id)
        title = guide.in_language(language).title if guide is not None else topic.title
        candidates.append((topic.id, title))
        if len(candidates) == MAX_CANDIDATES:
            break
    return candidates


async def answer_from_knowledge(
    dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: KnowledgeSearch
) -> list[dict[str, Any]] | None:
    """A guide or web passage the index is confident about, answered; None when there is none."""
    hit = await best_passage(tracker, knowledge)
    if hit is None:
        return None
    language = conversation_language(tracker)
    if hit.kind == "guide" and hit.topic:
        return answer_guide(dispatcher, hit.topic, hit.municipality, language)
    return answer_web(dispatcher, hit, hit.municipality, language)


def give_up(dispatcher: CollectingDispatcher, tracker: Tracker, now: datetime) -> list[dict[str, Any]]:
    """The second failed turn in a row: say so honestly and offer a human."""
    language = conversation_language(tracker)
    say(dispatcher, "give_up", language)
    offer_human(dispatcher, municipality_slug(tracker), now, topic=None, source="fallback", language=language)
    return [SlotSet("failed_turns", 0)]


# rasa-sdk's ActionExecutor instantiates every imported subclass of Action with no arguments and
# registers it under its name(), skipping only abstract classes (inspect.isabstract). This base
# leaves first_failure abstract, so it is skipped; were it concrete, rasa-sdk would call the
# name() it inherits from Action, which raises, and the action server would not start.
class FallbackAction(Action, ABC):
    """A turn the assistant could not answer: the index first, then a first or a second failure."""

    def __init__(self, clock: Callable[[], datetime] = utc_now, knowledge: KnowledgeSearch = retriever) -> None:
        self.clock = clock
        self.knowledge = knowledge

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if (answered := await answer_from_knowledge(dispatcher, tracker, self.knowledge)) is not None:
            return answered
        if _failed_before(tracker):
            return give_up(dispatcher, tracker, self.clock())
        self.first_failure(dispatcher, tracker)
        report(dispatcher, topic=None, source="fallback")
        return [SlotSet("failed_turns", 1)]

    @abstractmethod
    def first_failure(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """What the citizen is told the first time in a row the assistant cannot answer."""


class ActionClarify(FallbackAction):
    def name(self) -> str:
        return "action_clarify"

    def first_failure(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        language = conversation_language(tracker)
        candidates = candidate_topics(tracker, language)
        if not candidates:
            say(dispatcher, "rephrase", language)
            return
        buttons = [{"title": title, "payload": f"/{topic}"} for topic, title in candidates]
        buttons.append({"title": prompts(language)["human_button"]["text"], "payload": "/human_agent"})
        dispatcher.utter_message(text=prompts(language)["clarify"]["text"], buttons=buttons)


class ActionOutOfScope(FallbackAction):
    def name(self) -> str:
        return "action_out_of_scope"

    def first_failure(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        language = conversation_language(tracker)
        name = municipality_name(municipality_slug(tracker), language)
        say(dispatcher, "out_of_scope", language, municipality_name=name)
