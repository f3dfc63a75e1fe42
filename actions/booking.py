"""Booking, moving and cancelling a time in the citizen service: thin actions over booking/.

The form (booking_form) asks one thing at a time; validation lives in
actions/booking_form.py. Every turn ends with report(topic appointment_booking,
source booking). A failing booking API never leaves a hold behind: the citizen
gets the municipality's booking page and phone instead.
"""
from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import conversation_language, library, municipality_slug, prompts, report, say
from actions.settings import action_settings
from booking import Booking, BookingError, BookingPort, BookingUnavailable, Location, OutcomeUnknown, Slot, SlotTaken
from booking.connect import open_booking
from booking.dates import NoDate, parse_when
from booking.model import COPENHAGEN
from booking.offers import danish_time, decode_slot, find_reference, service_from_text
from knowledge import UnknownTopic
from muni.clock import utc_now
from muni.sealed import ContactSealer

logger = logging.getLogger("muni.actions.booking")

TOPIC = "appointment_booking"
MODES = {"appointment_booking": "new", "move_booking": "move", "cancel_booking": "cancel"}
FORM_SLOTS = (
    "booking_service", "booking_when", "booking_slot", "booking_name", "booking_contact",
    "booking_reference", "booking_confirmed", "booking_offered", "booking_hold", "booking_failed",
)
PortOpener = Callable[[str], AbstractAsyncContextManager[BookingPort]]
_BRING = re.compile(r"[^.]*\bmedbring\w*[^.]*\.", re.IGNORECASE)
_BRING_EN = re.compile(r"[^.]*\bbring\b[^.]*\.", re.IGNORECASE)
ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A button sends "/appointment_booking{"answer": …}" (the chat API takes only intent payloads);
# the form reads the answer as if it were typed.
_BUTTON = re.compile(r"^/\w+(\{.*\})$", re.DOTALL)


def button(title: str, answer: str) -> dict[str, str]:
    return {"title": title, "payload": "/" + TOPIC + json.dumps({"answer": answer}, ensure_ascii=False)}


def spoken(value: Any) -> str:
    """What the citizen answered: typed text, or the answer a button carries."""
    text = str(value or "")
    if match := _BUTTON.match(text.strip()):
        try:
            answer = json.loads(match.group(1)).get("answer")
        except (ValueError, AttributeError):
            return ""
        return answer if isinstance(answer, str) else ""
    return text


@functools.cache
def sealer() -> ContactSealer:
    return ContactSealer(action_settings().secret_key)


def today(now: datetime) -> date:
    return now.astimezone(COPENHAGEN).date()


def reset_events() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in (*FORM_SLOTS, "booking_mode")]


def local_value(slug: str, name: str, language: str = "da") -> str:
    municipality = library().municipality(slug)
    value = library().resolve(name, municipality)
    if value is None:
        return municipality.website_url
    return value.text(language, prose=library().variables[name].prose)


def what_to_bring(service_id: str, slug: str, language: str = "da") -> str:
    """The 'Medbring …' ('Bring …') sentences of the service's guide, else a general line."""
    try:
        text = library().answer(service_id, slug, language).text
    except UnknownTopic:
        text = ""
    found = [match.group(0).strip() for match in (_BRING_EN if language == "en" else _BRING).finditer(text)]
    return " ".join(found) if found else prompts(language)["booking_bring_default"]["text"]


def service_name(service_id: str | None, language: str = "da") -> str:
    """The service as named inside a sentence: 'pas', or in English 'passport' (but 'MitID')."""
    english = language == "en"
    topic = library().topics.get(service_id or "")
    if topic is None:
        return "your errand" if english else "dit ærinde"
    if not english:
        return topic.title.lower()
    guide = library().guides.get(topic.id)
    title = guide.in_language("en").title if guide is not None else topic.title
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def slot_time(moment: datetime, language: str = "da") -> str:
    """'tirsdag 24/11 kl. 10.20', or in English 'Tuesday 24/11 at 10:20'."""
    if language != "en":
        return danish_time(moment)
    moment = moment.astimezone(COPENHAGEN)
    return f"{ENGLISH_WEEKDAYS[moment.weekday()]} {moment.day}/{moment.month} at {moment:%H:%M}"


def booking_answer(dispatcher: CollectingDispatcher, *, sandbox: bool = False, language: str = "da") -> None:
    if sandbox:
        say(dispatcher, "booking_sandbox", language)
    report(dispatcher, topic=TOPIC, source="booking")


def unavailable(dispatcher: CollectingDispatcher, slug: str, error: BookingError, language: str = "da") -> None:
    """The scripted answer when the booking API fails: book on the web or by phone."""
    logger.warning("booking API failed for %s: %s", slug, error)
    booking_url = local_value(slug, "booking_url")
    say(dispatcher, "booking_unavailable", language, booking_url=booking_url,
        phone=local_value(slug, "citizen_service_phone"))
    title = "Book a time at Borgerservice" if language == "en" else "Bestil tid i Borgerservice"
    report(dispatcher, topic=TOPIC, source="fallback", handoff=True, links=[{"title": title, "url": booking_url}])


def outcome_unknown(dispatcher: CollectingDispatcher, slug: str, error: BookingError, language: str = "da") -> None:
    """The booking API did not answer a confirm or move: say honestly that we do not know, never that it failed."""
    logger.warning("booking outcome unknown for %s: %s", slug, error)
    say(dispatcher, "booking_outcome_unknown", language, phone=local_value(slug, "citizen_service_phone"))
    report(dispatcher, topic=TOPIC, source="fallback", handoff=True)


async def release_hold(port: BookingPort, hold_id: str | None) -> None:
    if not hold_id:
        return
    try:
        await port.release(hold_id)
    except BookingError as error:  # it expires by itself within minutes
        logger.warning("could not release hold: %s", error)


class ActionStartBooking(Action):
    """Start booking, moving or cancelling where the municipality has the integration; else its booking page."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock

    def name(self) -> str:
        return "action_start_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slug = municipality_slug(tracker) or ""
        language = conversation_language(tracker)
        municipality = library().municipalities.get(slug)
        if municipality is None or not municipality.booking_enabled:
            answer = library().answer(TOPIC, slug, language) if municipality else None
            if answer is None:
                say(dispatcher, "booking_stop_outside", language)
                report(dispatcher, topic=TOPIC, source="fallback")
            else:
                dispatcher.utter_message(text=answer.text)
                report(dispatcher, topic=TOPIC, source="guide",
                       links=[{"title": link.title, "url": link.url} for link in answer.links], missing=answer.missing)
            return [SlotSet("booking_enabled", False), SlotSet("failed_turns", 0)]
        text = tracker.latest_message.get("text") or ""
        events = [*reset_events(), SlotSet("booking_enabled", True), SlotSet("failed_turns", 0),
                  SlotSet("booking_mode", MODES.get(tracker.get_intent_of_latest_message() or "", "new"))]
        if text.startswith("/"):
            return events
        if (reference := find_reference(text)) is not None:
            events.append(SlotSet("booking_reference", reference))
        if (service := service_from_text(text, [s for s in library().topics])) is not None:
            events.append(SlotSet("booking_service", service))
        try:
            parse_when(text, today(self.clock()))
            events.append(SlotSet("booking_when", text))
        except NoDate:
            pass
        except ValueError:  # a past or impossible date: the form explains it when it validates
            events.append(SlotSet("booking_when", text))
        return events


class ActionStopBooking(Action):
    def __init__(self, open_port: PortOpener = open_booking) -> None:
        self.open_port = open_port

    def name(self) -> str:
        return "action_stop_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        if tracker.get_slot("booking_mode") is None:
            say(dispatcher, "booking_stop_outside", language)
            report(dispatcher, topic=None, source="conversation")
            return []
        if hold_id := tracker.get_slot("booking_hold"):
            async with self.open_port(municipality_slug(tracker) or "") as port:
                await release_hold(port, hold_id)
        say(dispatcher, "booking_stopped", language)
        report(dispatcher, topic=TOPIC, source="booking")
        return reset_events()


class ActionFinishBooking(Action):
    """The form is complete: book, move or cancel (or explain why not)."""

    def __init__(self, open_port: PortOpener = open_booking) -> None:
        self.open_port = open_port

    def name(self) -> str:
        return "action_finish_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("booking_mode") is None:
            # Nothing pending: the gateway re-ran this after a lost answer, but the first run had finished
            # (its answer is in the tracker). Booking again with the slots cleared must never happen.
            return []
        slug = municipality_slug(tracker) or ""
        language = conversation_language(tracker)
        hold_id = tracker.get_slot("booking_hold")
        async with self.open_port(slug) as port:
            if failure := tracker.get_slot("booking_failed"):
                await release_hold(port, hold_id)
                unavailable(dispatcher, slug, BookingUnavailable(failure), language)
                return reset_events()
            try:
                return await self._finish(dispatcher, tracker, port, slug)
            except OutcomeUnknown as error:
                # It may have been booked: saying it failed would send the citizen to book twice. The hold
                # is not released: had the booking gone through, it is the booking's now.
                outcome_unknown(dispatcher, slug, error, language)
                return reset_events()
            except SlotTaken:
                # The hold expired and someone took the time: back to the form for new times.
                say(dispatcher, "booking_slot_taken", language)
                return [SlotSet("booking_slot", None), SlotSet("booking_hold", None),
                        SlotSet("booking_offered", None), FollowupAction("booking_form")]
            except BookingError as error:
                await release_hold(port, hold_id)
                unavailable(dispatcher, slug, error, language)
                return reset_events()

    async def _finish(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, port: BookingPort, slug: str
    ) -> list[dict[str, Any]]:
        mode, hold_id, reference = (tracker.get_slot(n) for n in ("booking_mode", "booking_hold", "booking_reference"))
        key = f"muni-{tracker.sender_id}-{hold_id}"
        language = conversation_language(tracker)
        if mode == "cancel":
            booking = await port.lookup(reference)
            if tracker.get_slot("booking_confirmed") != "yes":
                say(dispatcher, "booking_kept", language)
            else:
                booking = await port.cancel(reference)
                say(dispatcher, "booking_cancelled", language, service=service_name(booking.service_id, language),
                    when=slot_time(booking.start, language), reference=booking.reference)
            booking_answer(dispatcher, sandbox=booking.sandbox, language=language)
            return reset_events()
        if mode == "move":
            booking = await port.move(reference, hold_id, key)
            say(dispatcher, "booking_moved", language, when=slot_time(booking.start, language),
                location=await self._location_name(port, booking), reference=booking.reference)
            booking_answer(dispatcher, sandbox=booking.sandbox, language=language)
            return reset_events()
        contact = sealer().unseal(tracker.get_slot("booking_contact") or "")
        if contact is None:
            raise BookingUnavailable("the sealed contact could not be opened")
        booking = await port.confirm(hold_id, tracker.get_slot("booking_name"), contact, key)
        await self._confirmed(dispatcher, port, booking, slug, "e-mail" if "@" in contact else "sms", language)
        return reset_events()

    async def _location_name(self, port: BookingPort, booking: Booking) -> str:
        location = await _location(port, booking)
        return location.name if location else "Borgerservice"

    async def _confirmed(
        self, dispatcher: CollectingDispatcher, port: BookingPort, booking: Booking, slug: str, channel: str,
        language: str = "da",
    ) -> None:
        location = await _location(port, booking)
        service = service_name(booking.service_id, language)
        say(
            dispatcher, "booking_confirmed", language,
            service=service[:1].upper() + service[1:], when=slot_time(booking.start, language),
            location=location.name if location else "Borgerservice", address=location.address if location else "",
            reference=booking.reference, contact=f"you by {channel}" if language == "en" else f"dig på {channel}",
            bring=what_to_bring(booking.service_id, slug, language),
        )
        booking_answer(dispatcher, sandbox=booking.sandbox, language=language)


async def _location(port: BookingPort, booking: Booking) -> Location | None:
    """The booking's place; once it is made, a failing lookup must not turn it into "not booked"."""
    try:
        return next((loc for loc in await port.locations() if loc.id == booking.location_id), None)
    except BookingError as error:
        logger.warning("booked %s, but its location could not be looked up: %s", booking.reference, error)
        return None


def offered_slots(tracker: Tracker) -> list[Slot]:
    return [slot for raw in tracker.get_slot("booking_offered") or [] if (slot := decode_slot(raw))]
