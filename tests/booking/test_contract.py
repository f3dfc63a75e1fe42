"""The FrontDesk adapter against the sandbox server: the contract of booking/openapi.yml."""
from __future__ import annotations

from datetime import date, timedelta

import aiohttp
import pytest

from booking import BookingNotFound, BookingUnavailable, HoldExpired, SlotTaken
from booking.model import COPENHAGEN
from tests.booking.conftest import client

TUESDAY = date(2026, 11, 24)


async def test_services_locations_and_days(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    desk = client(http, sandbox_url)
    assert "passport" in [s.id for s in await desk.services()]
    assert [loc.id for loc in await desk.locations()] == ["dokk1"]
    days = await desk.days("passport", date(2026, 11, 23), date(2026, 11, 29))
    assert days == [date(2026, 11, 23), TUESDAY, date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]


async def test_slots_follow_opening_hours_and_service_length(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    slots = await client(http, sandbox_url).slots("passport", TUESDAY, TUESDAY)
    starts = [s.start.astimezone(COPENHAGEN) for s in slots]
    assert starts[0].strftime("%H:%M") == "10:00" and starts[1].strftime("%H:%M") == "10:20"
    assert max(s.end for s in slots).astimezone(COPENHAGEN).strftime("%H:%M") == "15:00"
    assert await client(http, sandbox_url).slots("passport", date(2026, 12, 25), date(2026, 12, 25)) == []
    assert await client(http, sandbox_url).slots("passport", date(2026, 11, 28), date(2026, 11, 29)) == []


async def test_today_offers_only_times_still_ahead(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    slots = await client(http, sandbox_url).slots("mitid", date(2026, 11, 23), date(2026, 11, 23))
    assert slots and all(s.start.astimezone(COPENHAGEN).hour >= 10 for s in slots)


async def test_book_look_up_move_and_cancel(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    desk = client(http, sandbox_url)
    first, second = (await desk.slots("passport", TUESDAY, TUESDAY))[:2]
    hold = await desk.hold(first)
    booking = await desk.confirm(hold.id, "Anna Jensen", "anna@example.dk", "key-0001-abcdef")
    assert booking.reference.startswith("SB-") and booking.sandbox and booking.start == first.start
    assert (await desk.lookup(booking.reference)).status == "confirmed"
    moved = await desk.move(booking.reference, (await desk.hold(second)).id, "key-0002-abcdef")
    assert (moved.reference, moved.start) == (booking.reference, second.start)
    cancelled = await desk.cancel(booking.reference)
    assert cancelled.status == "cancelled"


async def test_confirm_twice_with_one_key_books_once(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    desk = client(http, sandbox_url)
    slot = (await desk.slots("passport", TUESDAY, TUESDAY))[0]
    hold = await desk.hold(slot)
    once = await desk.confirm(hold.id, "Anna Jensen", "anna@example.dk", "same-key-123")
    again = await desk.confirm(hold.id, "Anna Jensen", "anna@example.dk", "same-key-123")
    assert once.reference == again.reference


async def test_a_booked_time_is_no_longer_free(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    desk = client(http, sandbox_url)
    slot = (await desk.slots("passport", TUESDAY, TUESDAY))[0]
    for _ in range(6):  # Aarhus has six desks
        await desk.hold(slot)
    assert slot.start not in [s.start for s in await desk.slots("passport", TUESDAY, TUESDAY)]
    with pytest.raises(SlotTaken):
        await desk.hold(slot)


async def test_a_released_hold_frees_the_time_and_cannot_be_confirmed(
    http: aiohttp.ClientSession, sandbox_url: str
) -> None:
    desk = client(http, sandbox_url)
    slot = (await desk.slots("passport", TUESDAY, TUESDAY))[0]
    hold = await desk.hold(slot)
    await desk.release(hold.id)
    with pytest.raises(HoldExpired):
        await desk.confirm(hold.id, "Anna Jensen", "anna@example.dk", "key-after-release")


async def test_times_off_the_grid_or_in_the_past_cannot_be_held(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    desk = client(http, sandbox_url)
    slot = (await desk.slots("passport", TUESDAY, TUESDAY))[0]
    with pytest.raises(SlotTaken):
        await desk.hold(type(slot)(slot.service_id, slot.location_id, slot.start + timedelta(minutes=7), slot.end))
    with pytest.raises(SlotTaken):
        await desk.hold(type(slot)(slot.service_id, slot.location_id, slot.start - timedelta(days=2), slot.end))


async def test_unknown_reference_and_wrong_key(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    with pytest.raises(BookingNotFound):
        await client(http, sandbox_url).lookup("SB-AAAAAA")
    with pytest.raises(BookingUnavailable):
        await client(http, sandbox_url, key="wrong").services()
    with pytest.raises(BookingUnavailable):
        await client(http, sandbox_url, slug="nowhere").services()


async def test_a_booking_belongs_to_its_municipality(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    aarhus = client(http, sandbox_url)
    slot = (await aarhus.slots("passport", TUESDAY, TUESDAY))[0]
    booking = await aarhus.confirm((await aarhus.hold(slot)).id, "Anna Jensen", "anna@example.dk", "key-tenant-1")
    with pytest.raises(BookingNotFound):
        await client(http, sandbox_url, slug="viborg").lookup(booking.reference)


async def test_every_response_says_sandbox(http: aiohttp.ClientSession, sandbox_url: str) -> None:
    async with http.get(f"{sandbox_url}/") as page:
        assert "SANDBOX" in await page.text() and page.headers["X-Sandbox"] == "true"
    headers = {"Authorization": "Bearer test-key"}
    async with http.get(f"{sandbox_url}/aarhus/v1/services", headers=headers) as response:
        assert (await response.json())["sandbox"] is True and response.headers["X-Sandbox"] == "true"
    async with http.get(f"{sandbox_url}/aarhus/v1/bookings/SB-NONONO", headers=headers) as missing:
        assert missing.status == 404 and (await missing.json())["sandbox"] is True
