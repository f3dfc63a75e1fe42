"""The way to a human: the shared contact centre (open or not) and the municipality."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import contact_centre, library, municipality_slug, report, say
from muni.clock import utc_now
from muni.replies import Source


def offer_human(
    dispatcher: CollectingDispatcher,
    slug: str | None,
    now: datetime,
    *,
    topic: str | None = "human_agent",
    source: Source = "handoff",
) -> None:
    """Tell the citizen how to reach a person now, and mark the reply as a handoff."""
    centre = contact_centre()
    status = centre.status(now)
    if status.open:
        say(dispatcher, "handoff_open", centre_phone=centre.phone, centre_status=centre.status_text(now))
    else:
        say(
            dispatcher,
            "handoff_closed",
            centre_phone=centre.phone,
            centre_status=centre.status_text(now),
            centre_hours=centre.hours_text(),
        )
    links = []
    municipality = library().municipalities.get(slug or "")
    if municipality is not None:
        contact = library().contact_line(municipality.slug)
        say(dispatcher, "handoff_municipality", municipality_name=municipality.name, municipality_contact=contact)
        links.append({"title": f"Kontakt {municipality.name}", "url": library().website_url(municipality.slug)})
    report(dispatcher, topic=topic, source=source, handoff=True, links=links)


class ActionHandoff(Action):
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        offer_human(dispatcher, municipality_slug(tracker), self.clock())
        return [SlotSet("failed_turns", 0)]
