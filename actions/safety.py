"""Emergencies are answered at once, with 112, the regional helpline and Livslinien."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import conversation_language, municipality_slug, report, safety_lines, say


class ActionEmergency(Action):
    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        doctor_line = safety_lines().doctor_line(municipality_slug(tracker), language)
        say(dispatcher, "emergency", language, doctor_line=doctor_line)
        report(
            dispatcher,
            topic="emergency",
            source="safety",
            links=[{"title": "Livslinien", "url": "https://www.livslinien.dk"}],
        )
        return [SlotSet("failed_turns", 0)]
