"""The way to a human: the shared contact centre (open or not) and the municipality."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import contact_centre, conversation_language, library, municipality_slug, report, say
from muni.clock import utc_now
from muni.replies import Source


def offer_human(
    dispatcher: CollectingDispatcher,
    slug: str | None,
    now: datetime,
    *,
    topic: str | None = "human_agent",
    source: Source = "handoff",
    language: str = "da",
) -> None:
    """Tell the citizen how to reach a person now (in `language`), and mark the reply as a handoff."""
    centre = contact_centre()
    status = centre.status(now)
    centre_status = centre.status_text(now, language)
    if status.open:
        say(dispatcher, "handoff_open", language, centre_phone=centre.phone, centre_status=centre_status)
    else:
        hours = centre.hours_text(language=language)
        say(dispatcher, "handoff_closed", language, centre_phone=centre.phone, centre_status=centre_status,
            centre_hours=hours)
    links = []
    municipality = library().municipalities.get(slug or "")
    if municipality is not None:
        contact = library().contact_line(municipality.slug, language)
        say(dispatcher, "handoff_municipality", language, municipality_name=municipality.name,
            municipality_contact=contact)
        title = f"Contact {municipality.name}" if language == "en" else f"Kontakt {municipality.name}"
        links.append({"title": title, "url": library().website_url(municipality.slug)})
    report(dispatcher, topic=topic, source=source, handoff=True, links=links)


class ActionHandoff(Action):
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        offer_human(dispatcher, municipality_slug(tracker), self.clock(), language=conversation_language(tracker))
        return [SlotSet("failed_turns", 0)]
