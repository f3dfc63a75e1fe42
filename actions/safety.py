"""Emergencies are answered at once, with 112, the regional helpline and Livslinien."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import municipality_slug, report, safety_lines, say


class ActionEmergency(Action):
    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, "emergency", doctor_line=safety_lines().doctor_line(municipality_slug(tracker)))
        report(
            dispatcher,
            topic="emergency",
            source="safety",
            links=[{"title": "Livslinien", "url": "https://www.livslinien.dk"}],
        )
        return [SlotSet("failed_turns", 0)]
