from __future__ import annotations

from datetime import date, datetime, time, timedelta

from booking.dates import When
from booking.model import COPENHAGEN, Slot
from booking.offers import (
    choose_offers,
    chosen_slot,
    danish_time,
    decode_slot,
    encode_slot,
    find_reference,
    outside_opening_hours,
    service_from_text,
    yes_or_no,
)


def day_of_slots(day: date) -> list[Slot]:
    start = datetime.combine(day, time(10, 0), tzinfo=COPENHAGEN)
    return [Slot("passport", "dokk1", start + timedelta(minutes=20 * i), start + timedelta(minutes=20 * (i + 1)))
            for i in range(15)]


SLOTS = day_of_slots(date(2026, 11, 24)) + day_of_slots(date(2026, 11, 25))


def test_offers_spread_over_days_and_respect_the_part_of_day() -> None:
    offers = choose_offers(SLOTS, When(date(2026, 11, 24), date(2026, 11, 25), "afternoon"))
    assert len(offers) == 6 and all(o.start.hour >= 12 for o in offers)
    assert {o.start.date() for o in offers} == {date(2026, 11, 24), date(2026, 11, 25)}


def test_offers_nearest_the_wished_time() -> None:
    offers = choose_offers(SLOTS, When(date(2026, 11, 24), date(2026, 11, 24), at=time(11, 0)))
    assert offers[0].start.strftime("%H:%M") in {"10:40", "11:00"} and len(offers) == 3


def test_outside_opening_hours() -> None:
    assert outside_opening_hours(time(18, 0), SLOTS) and outside_opening_hours(time(7, 0), SLOTS)
    assert not outside_opening_hours(time(11, 0), SLOTS)


def test_the_citizen_picks_by_button_or_by_typing() -> None:
    offered = SLOTS[:3]
    assert danish_time(offered[1].start) == "tirsdag 24/11 kl. 10.20"
    assert chosen_slot("tirsdag 24/11 kl. 10.20", offered) == offered[1]
    assert chosen_slot("10:20 tak", offered) == offered[1]
    assert chosen_slot("onsdag 10.20", offered) is None
    assert chosen_slot("den sidste", offered) is None


def test_services_references_and_answers() -> None:
    offered = ["passport", "driving_licence", "mitid", "health_card", "other"]
    assert service_from_text("jeg skal have nyt pas", offered) == "passport"
    assert service_from_text("Kørekort", offered) == "driving_licence"
    assert service_from_text("hjælp til MitID", offered) == "mitid"
    assert service_from_text("opholdsdokument", offered) is None
    assert service_from_text("passer det", offered) is None
    assert find_reference("aflys sb-k7m2qx tak") == "SB-K7M2QX"
    assert (yes_or_no("Ja tak"), yes_or_no("nej"), yes_or_no("måske")) == (True, False, None)


def test_slots_round_trip_through_text() -> None:
    assert decode_slot(encode_slot(SLOTS[0])) == SLOTS[0]
    assert decode_slot("nonsense") is None
