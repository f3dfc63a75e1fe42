"""Validation of booking_form: each answer is read as plain text and checked against the booking API.

A wrong answer is asked again with the reason. When the booking API fails,
the form ends at once (booking_failed) and action_finish_booking answers with
the municipality's booking page and phone.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import PortOpener, local_value, offered_slots, service_name, spoken, today
from actions.replies import conversation_language, municipality_slug, say
from booking import BookingError, BookingNotFound, SlotTaken
from booking.connect import open_booking
from booking.dates import DateProblem, NoDate, PastDate, When, closed_reason, parse_when
from booking.offers import (
    choose_offers,
    chosen_slot,
    encode_slot,
    find_reference,
    outside_opening_hours,
    service_from_text,
    yes_or_no,
)
from muni.clock import utc_now
from muni.privacy import CPR_PLACEHOLDER, EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER
from muni.sealed import METADATA_KEY

NEW_SLOTS = ["booking_service", "booking_when", "booking_slot", "booking_name", "booking_contact"]
MOVE_SLOTS = ["booking_reference", "booking_when", "booking_slot"]
CANCEL_SLOTS = ["booking_reference", "booking_confirmed"]
def _say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: str) -> None:
    """say() in the conversation's language."""
    say(dispatcher, key, conversation_language(tracker), **values)


_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-]+[^\W\d_]+)+$")
Result = dict[str, Any]


class ValidateBookingForm(FormValidationAction):
    def __init__(self, open_port: PortOpener = open_booking, clock: Callable[[], datetime] = utc_now) -> None:
        self.open_port = open_port
        self.clock = clock

    def name(self) -> str:
        return "validate_booking_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("booking_failed"):
            return []
        mode = tracker.get_slot("booking_mode")
        return {"move": MOVE_SLOTS, "cancel": CANCEL_SLOTS}.get(mode, NEW_SLOTS)

    def _failed(self, error: BookingError) -> Result:
        return {"booking_failed": str(error)[:200] or type(error).__name__}

    async def validate_booking_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        try:
            async with self.open_port(municipality_slug(tracker) or "") as port:
                services = await port.services()
        except BookingError as error:
            return {"booking_service": None, **self._failed(error)}
        service = service_from_text(spoken(value), [s.id for s in services])
        if service is None:
            _say(dispatcher, tracker, "booking_unknown_service")
        return {"booking_service": service}

    async def validate_booking_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return await self._offer(spoken(value), dispatcher, tracker)

    async def _offer(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Result:
        """Read the wished time and find free times for it: booking_when and booking_offered, or why not."""
        empty = {"booking_when": None, "booking_offered": None, "booking_slot": None}
        when = When.decode(text)
        try:
            when = when or parse_when(text, today(self.clock()))
        except PastDate as past:
            _say(dispatcher, tracker, "booking_past", day=f"{past.day.day}/{past.day.month}")
            return empty
        except DateProblem:
            _say(dispatcher, tracker, "booking_no_date")
            return empty
        if when.first == when.last and (reason := closed_reason(when.first)):
            _say(dispatcher, tracker, "booking_closed", day=f"{when.first.day}/{when.first.month}", reason=reason)
            return empty
        service = tracker.get_slot("booking_service")
        if service is None:  # asked again once the service is known
            return empty
        try:
            async with self.open_port(municipality_slug(tracker) or "") as port:
                slots = await port.slots(service, when.first, when.last)
        except BookingError as error:
            return {**empty, **self._failed(error)}
        offers = choose_offers(slots, when)
        if when.at is not None and outside_opening_hours(when.at, slots):
            hours = local_value(municipality_slug(tracker) or "", "citizen_service_hours", conversation_language(tracker))
            _say(dispatcher, tracker, "booking_outside_hours", time=when.at.strftime("%H.%M"), hours=hours)
            offers = choose_offers(slots, When(when.first, when.last, when.part))
        if not offers:
            english = conversation_language(tracker) == "en"
            first, last = f"{when.first.day}/{when.first.month}", f"{when.last.day}/{when.last.month}"
            if when.first == when.last:
                period = f"on {first}" if english else f"d. {first}"
            else:
                period = f"between {first} and {last}" if english else f"mellem {first} og {last}"
            service_text = service_name(service, conversation_language(tracker))
            _say(dispatcher, tracker, "booking_no_times", service=service_text, period=period)
            return empty
        return {"booking_when": when.encode(), "booking_offered": [encode_slot(s) for s in offers], "booking_slot": None}

    async def validate_booking_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        text = spoken(value)
        slot = chosen_slot(text, offered_slots(tracker))
        if slot is None:
            try:
                parse_when(text, today(self.clock()))
            except NoDate:
                if any(words in text.lower() for words in ("anden dag", "andre tider", "another day", "other times")):
                    return {"booking_when": None, "booking_offered": None, "booking_slot": None}
                _say(dispatcher, tracker, "booking_pick_slot")
                return {"booking_slot": None}
            except DateProblem:
                pass
            return await self._offer(text, dispatcher, tracker)
        slug = municipality_slug(tracker) or ""
        try:
            async with self.open_port(slug) as port:
                try:
                    hold = await port.hold(slot)
                except SlotTaken:
                    _say(dispatcher, tracker, "booking_slot_taken")
                    when = When.decode(tracker.get_slot("booking_when") or "")
                    refreshed = await port.slots(slot.service_id, when.first, when.last) if when else []
                    offers = choose_offers(refreshed, when) if when else []
                    return {"booking_slot": None, "booking_offered": [encode_slot(s) for s in offers] or None,
                            "booking_when": tracker.get_slot("booking_when") if offers else None}
                if previous := tracker.get_slot("booking_hold"):
                    await port.release(previous)
        except BookingError as error:
            return {"booking_slot": None, **self._failed(error)}
        return {"booking_slot": encode_slot(slot), "booking_hold": hold.id}

    async def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        name = " ".join(spoken(value).split())
        if CPR_PLACEHOLDER in name:
            _say(dispatcher, tracker, "booking_cpr")
            return {"booking_name": None}
        if not (_NAME.match(name) and 3 <= len(name) <= 80):
            _say(dispatcher, tracker, "booking_bad_name")
            return {"booking_name": None}
        return {"booking_name": name}

    async def validate_booking_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        text = spoken(value)
        sealed = (tracker.latest_message.get("metadata") or {}).get(METADATA_KEY)
        if CPR_PLACEHOLDER in text:
            _say(dispatcher, tracker, "booking_cpr")
        elif sealed and (PHONE_PLACEHOLDER in text or EMAIL_PLACEHOLDER in text):
            return {"booking_contact": sealed}  # only the sealed token is kept
        elif "@" in text:
            _say(dispatcher, tracker, "booking_bad_email")
        elif re.search(r"\d", text):
            _say(dispatcher, tracker, "booking_bad_phone")
        else:
            _say(dispatcher, tracker, "booking_no_contact")
        return {"booking_contact": None}

    async def validate_booking_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        reference = find_reference(spoken(value))
        if reference is None:
            _say(dispatcher, tracker, "booking_no_reference")
            return {"booking_reference": None}
        try:
            async with self.open_port(municipality_slug(tracker) or "") as port:
                booking = await port.lookup(reference)
        except BookingNotFound:
            booking = None
        except BookingError as error:
            return {"booking_reference": None, **self._failed(error)}
        if booking is None or booking.status != "confirmed":
            _say(dispatcher, tracker, "booking_unknown_reference", reference=reference)
            return {"booking_reference": None}
        return {"booking_reference": reference, "booking_service": booking.service_id}

    async def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        answer = yes_or_no(spoken(value))
        if answer is None:
            _say(dispatcher, tracker, "booking_yes_or_no")
            return {"booking_confirmed": None}
        return {"booking_confirmed": "yes" if answer else "no"}

