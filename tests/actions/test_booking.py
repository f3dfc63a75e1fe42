"""The booking actions over a fake booking desk behind the real BookingPort interface."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionFinishBooking, ActionStartBooking, ActionStopBooking
from actions.booking_form import ValidateBookingForm
from actions.booking_questions import ActionAskBookingSlot
from booking import (
    Booking,
    BookingNotFound,
    BookingUnavailable,
    Hold,
    HoldExpired,
    Location,
    OutcomeUnknown,
    Service,
    Slot,
    SlotTaken,
)
from booking.model import COPENHAGEN
from booking.offers import encode_slot
from muni.sealed import ContactSealer
from tests.actions.conftest import make_tracker, meta, texts

SECRET = "test-secret-" + "s" * 40
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Copenhagen
TUESDAY = date(2026, 11, 24)


def tuesday_slots() -> list[Slot]:
    start = datetime.combine(TUESDAY, time(10, 0), tzinfo=COPENHAGEN)
    return [Slot("passport", "dokk1", start + timedelta(minutes=20 * i), start + timedelta(minutes=20 * (i + 1)))
            for i in range(15)]


class FakeDesk:
    """An in-memory booking desk; `failing` makes every call fail like a dead API."""

    def __init__(self) -> None:
        self.free = tuesday_slots()
        self.taken: set[datetime] = set()
        self.released: list[str] = []
        self.confirmed: list[tuple[str, str, str, str]] = []
        self.bookings: dict[str, Booking] = {}
        self.failing = False
        self.sandbox = True

    def _check(self) -> None:
        if self.failing:
            raise BookingUnavailable("HTTP 500")

    async def services(self) -> list[Service]:
        self._check()
        return [Service("passport", "Pas", 20), Service("driving_licence", "Kørekort", 20)]

    async def locations(self) -> list[Location]:
        self._check()
        return [Location("dokk1", "Borgerservice Dokk1", "Hack Kampmanns Plads 2, 8000 Aarhus C")]

    async def slots(self, service_id: str, first: date, last: date) -> list[Slot]:
        self._check()
        return [s for s in self.free if first <= s.start.date() <= last and s.start not in self.taken]

    async def hold(self, slot: Slot) -> Hold:
        self._check()
        if slot.start in self.taken:
            raise SlotTaken("taken")
        self.taken.add(slot.start)
        return Hold(f"H-{slot.start:%H%M}", slot, NOW + timedelta(minutes=10))

    async def release(self, hold_id: str) -> None:
        self.released.append(hold_id)

    async def confirm(self, hold_id: str, name: str, contact: str, idempotency_key: str) -> Booking:
        self._check()
        self.confirmed.append((hold_id, name, contact, idempotency_key))
        booking = Booking("SB-K7M2QX", "passport", "dokk1", tuesday_slots()[1].start, tuesday_slots()[1].end,
                          "confirmed", sandbox=True)
        self.bookings[booking.reference] = booking
        return booking

    async def lookup(self, reference: str) -> Booking:
        self._check()
        if reference not in self.bookings:
            raise BookingNotFound(reference)
        return self.bookings[reference]

    async def cancel(self, reference: str) -> Booking:
        booking = await self.lookup(reference)
        self.bookings[reference] = Booking(reference, booking.service_id, booking.location_id, booking.start,
                                           booking.end, "cancelled", True)
        return self.bookings[reference]


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from actions.booking import sealer

    monkeypatch.setenv("MUNI_SECRET_KEY", SECRET)
    sealer.cache_clear()


def opener(desk: FakeDesk) -> Any:
    @asynccontextmanager
    async def open_port(slug: str) -> AsyncIterator[FakeDesk]:
        yield desk

    return open_port


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def validator(desk: FakeDesk) -> ValidateBookingForm:
    return ValidateBookingForm(open_port=opener(desk), clock=lambda: NOW)


async def test_without_the_integration_the_citizen_gets_the_booking_page(dispatcher: CollectingDispatcher) -> None:
    events = await ActionStartBooking(clock=lambda: NOW).run(
        dispatcher, make_tracker(intent="appointment_booking", text="bestil tid til pas", municipality="odder"), {}
    )
    assert slots_set(events)["booking_enabled"] is False
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("appointment_booking", "guide")
    assert "Borgerservice" in texts(dispatcher)[0]


async def test_a_typical_request_fills_service_and_time_at_once(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="appointment_booking", text="Jeg vil gerne bestille tid til pas i morgen formiddag")
    found = slots_set(await ActionStartBooking(clock=lambda: NOW).run(dispatcher, tracker, {}))
    assert found["booking_enabled"] is True and found["booking_mode"] == "new"
    assert found["booking_service"] == "passport" and "i morgen" in found["booking_when"]
    assert dispatcher.messages == [], "the form asks the next question"


async def test_cancel_with_a_reference_in_the_first_message(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="cancel_booking", text="aflys min tid SB-K7M2QX")
    found = slots_set(await ActionStartBooking(clock=lambda: NOW).run(dispatcher, tracker, {}))
    assert (found["booking_mode"], found["booking_reference"]) == ("cancel", "SB-K7M2QX")


async def test_a_wished_time_becomes_concrete_free_times(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="appointment_booking", slots={"booking_service": "passport"})
    result = await validator(desk).validate_booking_when("i morgen formiddag", dispatcher, tracker, {})
    assert result["booking_when"] and 1 <= len(result["booking_offered"]) <= 6
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "says"),
    [("i går", "allerede gået"), ("på lørdag", "lukket"), ("den 25. december", "juledag"), ("hmm", "forstod ikke"),
     ("på onsdag", "ingen ledige tider")],
)
async def test_unusable_times_are_explained(
    desk: FakeDesk, dispatcher: CollectingDispatcher, text: str, says: str
) -> None:
    tracker = make_tracker(intent="appointment_booking", slots={"booking_service": "passport"})
    result = await validator(desk).validate_booking_when(text, dispatcher, tracker, {})
    assert result["booking_when"] is None
    assert says in texts(dispatcher)[0]


async def test_a_time_outside_opening_hours_is_explained_with_the_nearest(
    desk: FakeDesk, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(intent="appointment_booking", slots={"booking_service": "passport"})
    result = await validator(desk).validate_booking_when("i morgen kl. 18", dispatcher, tracker, {})
    assert "ikke åbent" in texts(dispatcher)[0] and result["booking_offered"]


async def test_the_free_times_are_buttons(dispatcher: CollectingDispatcher) -> None:
    offered = [encode_slot(s) for s in tuesday_slots()[:3]]
    tracker = make_tracker(intent="appointment_booking", slots={"booking_service": "passport",
                                                                "booking_offered": offered})
    await ActionAskBookingSlot().run(dispatcher, tracker, {})
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles[:3] == ["tirsdag 24/11 kl. 10.00", "tirsdag 24/11 kl. 10.20", "tirsdag 24/11 kl. 10.40"]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("appointment_booking", "booking")


async def test_a_chosen_time_is_held(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    offered = [encode_slot(s) for s in tuesday_slots()[:3]]
    tracker = make_tracker(intent="appointment_booking", slots={"booking_offered": offered})
    result = await validator(desk).validate_booking_slot("tirsdag 24/11 kl. 10.20", dispatcher, tracker, {})
    assert result["booking_hold"] == "H-1020" and result["booking_slot"] == offered[1]


async def test_a_time_taken_meanwhile_gives_new_times(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    slots = tuesday_slots()
    desk.taken.add(slots[1].start)
    when = "2026-11-24/2026-11-24//"
    tracker = make_tracker(intent="appointment_booking", slots={
        "booking_offered": [encode_slot(s) for s in slots[:3]], "booking_when": when, "booking_service": "passport"})
    result = await validator(desk).validate_booking_slot("tirsdag 24/11 kl. 10.20", dispatcher, tracker, {})
    assert result["booking_slot"] is None and "nåede en anden" in texts(dispatcher)[0]
    assert encode_slot(slots[1]) not in result["booking_offered"] and result["booking_offered"]


async def test_the_contact_is_kept_only_sealed(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    sealed = ContactSealer(SECRET).seal("21 34 56 78")
    tracker = make_tracker(intent="appointment_booking", text="[TELEFON]", metadata={"sealed_contact": sealed})
    result = await validator(desk).validate_booking_contact("[TELEFON]", dispatcher, tracker, {})
    assert result == {"booking_contact": sealed} and "21 34" not in str(result)


@pytest.mark.parametrize(
    ("text", "says"),
    [("[CPR]", "CPR-nummer"), ("1234", "8 cifre"), ("anna@", "e-mailadresse"), ("det vil jeg ikke", "mobilnummer")],
)
async def test_a_bad_contact_is_asked_again_with_the_reason(
    desk: FakeDesk, dispatcher: CollectingDispatcher, text: str, says: str
) -> None:
    tracker = make_tracker(intent="appointment_booking", text=text)
    assert await validator(desk).validate_booking_contact(text, dispatcher, tracker, {}) == {"booking_contact": None}
    assert says in texts(dispatcher)[0]


@pytest.mark.parametrize("name", ["[CPR]", "12345", "A", "Anna [TELEFON]"])
async def test_a_name_must_be_a_name(desk: FakeDesk, dispatcher: CollectingDispatcher, name: str) -> None:
    result = await validator(desk).validate_booking_name(name, dispatcher, make_tracker(intent="x"), {})
    assert result == {"booking_name": None} and texts(dispatcher)


async def test_booking_confirms_with_reference_and_what_to_bring(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    sealed = ContactSealer(SECRET).seal("anna@example.dk")
    tracker = make_tracker(intent="appointment_booking", slots={
        "booking_mode": "new", "booking_hold": "H-1020", "booking_name": "Anna Jensen", "booking_contact": sealed,
        "booking_service": "passport"})
    events = await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    assert desk.confirmed == [("H-1020", "Anna Jensen", "anna@example.dk", "muni-test-conversation-H-1020")]
    summary = texts(dispatcher)[0]
    assert "SB-K7M2QX" in summary and "Medbring" in summary and "Dokk1" in summary
    assert "sandkasse" in texts(dispatcher)[1]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("appointment_booking", "booking")
    assert slots_set(events)["booking_hold"] is None


async def test_a_failing_api_releases_the_hold_and_points_to_web_and_phone(
    desk: FakeDesk, dispatcher: CollectingDispatcher
) -> None:
    desk.failing = True
    sealed = ContactSealer(SECRET).seal("anna@example.dk")
    tracker = make_tracker(intent="appointment_booking", slots={
        "booking_mode": "new", "booking_hold": "H-1020", "booking_name": "Anna Jensen", "booking_contact": sealed})
    await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    assert desk.released == ["H-1020"] and desk.confirmed == []
    assert "aarhus.dk/bestil-tid" in texts(dispatcher)[0] and "00 00 07 51" in texts(dispatcher)[0]
    assert (meta(dispatcher)["source"], meta(dispatcher)["handoff"]) == ("fallback", True)


async def test_a_failing_api_during_the_form_ends_it(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    desk.failing = True
    tracker = make_tracker(intent="appointment_booking", slots={"booking_service": "passport"})
    result = await validator(desk).validate_booking_when("i morgen", dispatcher, tracker, {})
    assert result["booking_failed"]
    failed = make_tracker(intent="x", slots={"booking_failed": "HTTP 500", "booking_mode": "new"})
    assert await validator(desk).required_slots([], dispatcher, failed, {}) == []


async def test_cancel_after_yes(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    await desk.confirm("H-1", "Anna Jensen", "anna@example.dk", "k")
    tracker = make_tracker(intent="x", slots={"booking_mode": "cancel", "booking_reference": "SB-K7M2QX",
                                              "booking_confirmed": "yes"})
    await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    assert desk.bookings["SB-K7M2QX"].status == "cancelled" and "aflyst" in texts(dispatcher)[0]


async def test_an_unknown_reference_is_asked_again(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    result = await validator(desk).validate_booking_reference("SB-AAAAAA", dispatcher, make_tracker(intent="x"), {})
    assert result == {"booking_reference": None} and "SB-AAAAAA" in texts(dispatcher)[0]


async def test_leaving_releases_the_hold(desk: FakeDesk, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="stop_booking", text="glem det", slots={"booking_mode": "new",
                                                                           "booking_hold": "H-1020"})
    events = await ActionStopBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    assert desk.released == ["H-1020"] and slots_set(events)["booking_mode"] is None
    assert meta(dispatcher)["source"] == "booking"


def test_a_button_answer_reads_as_typed_text() -> None:
    from actions.booking import button, spoken

    payload = button("mandag 30/11 kl. 10.00", "mandag 30/11 kl. 10.00")["payload"]
    assert payload.startswith("/appointment_booking{") and spoken(payload) == "mandag 30/11 kl. 10.00"
    assert spoken("Anna Jensen") == "Anna Jensen"
    assert spoken('/appointment_booking{"answer": 3}') == "" and spoken("/appointment_booking{nope}") == ""


async def test_a_hold_that_expired_meanwhile_goes_back_to_new_times(
    desk: FakeDesk, dispatcher: CollectingDispatcher
) -> None:
    async def expired(*args: Any) -> Booking:
        raise HoldExpired("gone")

    desk.confirm = expired  # type: ignore[method-assign]
    sealed = ContactSealer(SECRET).seal("anna@example.dk")
    tracker = make_tracker(intent="appointment_booking", slots={
        "booking_mode": "new", "booking_hold": "H-1020", "booking_name": "Anna Jensen", "booking_contact": sealed})
    events = await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    assert "nåede en anden" in texts(dispatcher)[0]
    assert {"event": "followup", "name": "booking_form"} in [
        {k: e[k] for k in ("event", "name")} for e in events if e.get("event") == "followup"]
    assert slots_set(events)["booking_slot"] is None


class LostAnswerDesk(FakeDesk):
    """Books the time, then the answer is lost (the API times out after writing): the outcome is unknown."""

    async def confirm(self, hold_id: str, name: str, contact: str, idempotency_key: str) -> Booking:
        await super().confirm(hold_id, name, contact, idempotency_key)
        raise OutcomeUnknown("confirm: outcome unknown: no answer within 2.0 s (after 3 attempt(s))")


async def test_an_unknown_outcome_is_never_told_as_a_failure(dispatcher: CollectingDispatcher) -> None:
    desk = LostAnswerDesk()
    sealed = ContactSealer(SECRET).seal("anna@example.dk")
    tracker = make_tracker(intent="appointment_booking", slots={
        "booking_mode": "new", "booking_hold": "H-1020", "booking_name": "Anna Jensen", "booking_contact": sealed})
    await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    said = " ".join(texts(dispatcher))
    assert desk.bookings, "the desk made the booking"
    assert "ikke bestilt" not in said and "teknisk fejl" not in said and "aarhus.dk/bestil-tid" not in said
    assert "Bestil ikke igen" in said and "00 00 07 51" in said
    assert desk.released == [], "a hold that may have become the booking is not released"
    assert (meta(dispatcher)["source"], meta(dispatcher)["handoff"]) == ("fallback", True)


class NoPlacesDesk(FakeDesk):
    async def locations(self) -> list[Location]:
        raise BookingUnavailable("HTTP 503")


async def test_a_booking_made_is_confirmed_even_when_its_place_cannot_be_looked_up(
    dispatcher: CollectingDispatcher,
) -> None:
    desk = NoPlacesDesk()
    sealed = ContactSealer(SECRET).seal("anna@example.dk")
    tracker = make_tracker(intent="appointment_booking", slots={
        "booking_mode": "new", "booking_hold": "H-1020", "booking_name": "Anna Jensen", "booking_contact": sealed,
        "booking_service": "passport"})
    await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {})
    assert "SB-K7M2QX" in texts(dispatcher)[0] and "Borgerservice" in texts(dispatcher)[0]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("appointment_booking", "booking")


async def test_finishing_with_nothing_pending_books_nothing_and_says_nothing(
    desk: FakeDesk, dispatcher: CollectingDispatcher
) -> None:
    """The gateway's repeat after a lost answer, when the first run had finished after all."""
    tracker = make_tracker(intent="appointment_booking", slots={"booking_mode": None, "booking_hold": None})
    assert await ActionFinishBooking(open_port=opener(desk)).run(dispatcher, tracker, {}) == []
    assert desk.confirmed == [] and desk.released == [] and dispatcher.messages == []
