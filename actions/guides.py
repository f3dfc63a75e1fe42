"""Answer a topic from the municipality's guide, with its local variables."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import offer_human
from actions.replies import conversation_language, library, municipality_slug, report
from actions.website import KnowledgeSearch, answer_web, better_web_passage, retriever
from knowledge import UnknownMunicipality, UnknownTopic
from muni.clock import utc_now

logger = logging.getLogger("muni.actions.guides")


# Intents answered from another topic's guide. emergency_info: questions about the emergency numbers and
# crises themselves ("hvad er nummeret til lægevagten?"), answered by the emergency topic's guide (the
# akutguide); an emergency itself is the intent emergency, answered at once by action_emergency.
GUIDE_OF_INTENT = {"emergency_info": "emergency"}


class ActionAnswerGuide(Action):
    def __init__(self, knowledge: KnowledgeSearch = retriever) -> None:
        self.knowledge = knowledge

    def name(self) -> str:
        return "action_answer_guide"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = tracker.get_intent_of_latest_message() or ""
        topic = GUIDE_OF_INTENT.get(intent, intent)
        slug = municipality_slug(tracker)
        if (hit := await better_web_passage(tracker, topic, self.knowledge)) is not None:
            return answer_web(dispatcher, hit, hit.municipality, conversation_language(tracker))
        return answer_guide(dispatcher, topic, slug, conversation_language(tracker))


def answer_guide(
    dispatcher: CollectingDispatcher, topic: str | None, slug: str | None, language: str = "da"
) -> list[dict[str, Any]]:
    """The municipality's guide for topic in `language`, or a way to a human if there is none."""
    try:
        answer = library().answer(topic or "", slug or "", language)
    except (UnknownMunicipality, UnknownTopic) as error:
        logger.warning("no guide for topic %s in municipality %s: %s", topic, slug, error)
        offer_human(dispatcher, slug, utc_now(), topic=None, source="fallback", language=language)
        return [SlotSet("failed_turns", 0)]
    dispatcher.utter_message(text=answer.text)
    report(
        dispatcher,
        topic=answer.topic,
        source="guide",
        links=[{"title": link.title, "url": link.url} for link in answer.links],
        missing=answer.missing,
    )
    return [SlotSet("failed_turns", 0)]
