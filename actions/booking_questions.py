"""The questions of booking_form: each asks one thing, with buttons where there is a choice."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import TOPIC, PortOpener, button, offered_slots, service_name, slot_time
from actions.replies import conversation_language, library, municipality_slug, prompts, report
from booking import BookingError
from booking.connect import open_booking

logger = logging.getLogger("muni.actions.booking")


class _Ask:
    """What every question of the form shares (not an Action: rasa-sdk registers those)."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        prompt = prompts(conversation_language(tracker))[self.slot.replace("booking_", "booking_ask_")]
        text, buttons = await self.content(tracker, prompt)
        dispatcher.utter_message(text=text, buttons=buttons)
        report(dispatcher, topic=TOPIC, source="booking")
        return []

    async def content(self, tracker: Tracker, prompt: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
        return prompt["text"], [button(b["title"], b["answer"]) for b in prompt.get("buttons", [])]


class ActionAskBookingService(_Ask, Action):
    slot = "booking_service"

    def __init__(self, open_port: PortOpener = open_booking) -> None:
        self.open_port = open_port

    async def content(self, tracker: Tracker, prompt: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
        try:
            async with self.open_port(municipality_slug(tracker) or "") as port:
                services = await port.services()
        except BookingError as error:
            logger.warning("could not list services: %s", error)
            services = []
        if conversation_language(tracker) == "en":
            names = {s.id: english_title(s.id, s.name) for s in services}
        else:
            names = {s.id: s.name for s in services}
        return prompt["text"], [button(names[s.id], s.id) for s in services]


def english_title(service_id: str, name: str) -> str:
    """A service's English name: its guide's English title, else the booking system's (Danish) name."""
    guide = library().guides.get(service_id)
    return guide.in_language("en").title if guide is not None else name


class ActionAskBookingWhen(_Ask, Action):
    slot = "booking_when"


class ActionAskBookingSlot(_Ask, Action):
    slot = "booking_slot"

    async def content(self, tracker: Tracker, prompt: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
        language = conversation_language(tracker)
        slots = offered_slots(tracker)
        location = "Borgerservice"
        text = prompt["text"].format(service=service_name(tracker.get_slot("booking_service"), language), location=location)
        # A button's answer is what the Danish parser reads; only its title is in the citizen's language.
        buttons = [button(slot_time(s.start, language), slot_time(s.start)) for s in slots]
        other = prompts(language)["booking_other_day_button"]["text"]
        return text, [*buttons, button(other, prompts()["booking_other_day_button"]["text"].lower())]


class ActionAskBookingName(_Ask, Action):
    slot = "booking_name"


class ActionAskBookingContact(_Ask, Action):
    slot = "booking_contact"


class ActionAskBookingReference(_Ask, Action):
    slot = "booking_reference"


class ActionAskBookingConfirmed(_Ask, Action):
    slot = "booking_confirmed"

    def __init__(self, open_port: PortOpener = open_booking) -> None:
        self.open_port = open_port

    async def content(self, tracker: Tracker, prompt: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
        language = conversation_language(tracker)
        try:
            async with self.open_port(municipality_slug(tracker) or "") as port:
                booking = await port.lookup(tracker.get_slot("booking_reference"))
        except BookingError as error:  # the citizen can still answer; finishing reports the failure
            logger.warning("could not look up the booking to cancel: %s", error)
            text = prompt["text"].format(service=service_name(None, language), when="").replace(" ?", "?")
        else:
            text = prompt["text"].format(
                service=service_name(booking.service_id, language), when=slot_time(booking.start, language)
            )
        return text, [button(b["title"], b["answer"]) for b in prompt["buttons"]]

