"""Greeting, goodbye, thanks and "are you a bot?"."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import conversation_language, municipality_name, municipality_slug, report, say

CONVERSATION_INTENTS = ("greeting", "goodbye", "thanks", "bot_challenge")


class ActionConverse(Action):
    def name(self) -> str:
        return "action_converse"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = tracker.get_intent_of_latest_message()
        if intent not in CONVERSATION_INTENTS:
            intent = "greeting"
        language = conversation_language(tracker)
        name = municipality_name(municipality_slug(tracker), language)
        say(dispatcher, intent, language, municipality_name=name)
        report(dispatcher, topic=intent, source="conversation")
        return []
