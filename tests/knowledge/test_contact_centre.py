"""The contact centre's clock: open or closed at an instant, in Copenhagen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from knowledge import ContactCentre, KnowledgeDataError
from tests.knowledge.builders import PACKAGE_DIR

CPH = ZoneInfo("Europe/Copenhagen")


def cph(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


@pytest.fixture(scope="module")
def centre() -> ContactCentre:
    return ContactCentre.load()


def write_centre(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load((PACKAGE_DIR / "contact_centre.yml").read_text(encoding="utf-8"))
    path = tmp_path / "contact_centre.yml"
    path.write_text(yaml.safe_dump({**data, **changes}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (cph(2025, 1, 6, 7, 59), False),  # Monday
        (cph(2025, 1, 6, 8, 0), True),
        (cph(2025, 1, 6, 19, 59), True),
        (cph(2025, 1, 6, 20, 0), False),
        (cph(2025, 1, 9, 19, 59), True),  # Thursday
        (cph(2025, 1, 10, 15, 59), True),  # Friday
        (cph(2025, 1, 10, 16, 0), False),
        (cph(2025, 1, 11, 12, 0), False),  # Saturday
        (cph(2025, 1, 12, 15, 59), False),  # Sunday
        (cph(2025, 1, 12, 16, 0), True),
        (cph(2025, 1, 12, 20, 0), False),
    ],
    ids=lambda v: v.strftime("%a %H:%M") if isinstance(v, datetime) else str(v),
)
def test_weekly_hours(centre, at, is_open):
    assert centre.status(at).open is is_open


def test_open_status_says_when_it_closes(centre):
    status = centre.status(cph(2025, 1, 6, 9, 30))

    assert status.open and status.closes_at == cph(2025, 1, 6, 20) and status.next_open is None


@pytest.mark.parametrize(
    ("day", "weekday", "next_open"),
    [
        (date(2025, 5, 1), "Thursday", cph(2025, 5, 2, 8)),
        (date(2025, 6, 5), "Thursday", cph(2025, 6, 6, 8)),
        (date(2026, 6, 5), "Friday", cph(2026, 6, 7, 16)),
    ],
)
def test_1_may_and_5_june_close_at_noon_on_weekdays(centre, day, weekday, next_open):
    assert day.strftime("%A") == weekday
    before = centre.status(cph(day.year, day.month, day.day, 11, 59))
    at_noon = centre.status(cph(day.year, day.month, day.day, 12, 0))

    assert before.open and before.closes_at == cph(day.year, day.month, day.day, 12)
    assert not at_noon.open
    assert at_noon.next_open == next_open


def test_1_may_on_a_saturday_keeps_weekend_hours(centre):
    assert date(2027, 5, 1).strftime("%A") == "Saturday"

    assert not centre.status(cph(2027, 5, 1, 10)).open
    assert centre.status(cph(2027, 5, 1, 10)).next_open == cph(2027, 5, 2, 16)


def test_5_june_on_a_sunday_keeps_sunday_hours(centre):
    assert date(2022, 6, 5).strftime("%A") == "Sunday"

    assert centre.status(cph(2022, 6, 5, 17)).open
    assert centre.status(cph(2022, 6, 5, 17)).closes_at == cph(2022, 6, 5, 20)


@pytest.mark.parametrize(
    ("utc", "is_open"),
    [
        # Spring forward (30 March 2025, a Sunday): 16:00 CEST is 14:00 timezone.utc.
        (datetime(2025, 3, 30, 13, 59, tzinfo=UTC), False),
        (datetime(2025, 3, 30, 14, 0, tzinfo=UTC), True),
        (datetime(2025, 3, 30, 17, 59, tzinfo=UTC), True),
        (datetime(2025, 3, 30, 18, 0, tzinfo=UTC), False),
        # Fall back (26 October 2025, a Sunday): 16:00 CET is 15:00 timezone.utc.
        (datetime(2025, 10, 26, 14, 59, tzinfo=UTC), False),
        (datetime(2025, 10, 26, 15, 0, tzinfo=UTC), True),
        (datetime(2025, 10, 26, 19, 0, tzinfo=UTC), False),
    ],
)
def test_dst_transition_days(centre, utc, is_open):
    assert centre.status(utc).open is is_open


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (datetime(2025, 1, 6, 6, 59), False),  # naive means timezone.utc: 07:59 in Copenhagen (CET)
        (datetime(2025, 1, 6, 7, 0), True),
        (datetime(2025, 6, 2, 5, 59), False),  # 07:59 CEST
        (datetime(2025, 6, 2, 6, 0), True),
        (datetime(2025, 1, 6, 2, 0, tzinfo=ZoneInfo("America/New_York")), True),  # 08:00 CET
        (datetime(2025, 1, 6, 1, 59, tzinfo=ZoneInfo("America/New_York")), False),
    ],
)
def test_input_in_other_zones_is_converted(centre, at, is_open):
    assert centre.status(at).open is is_open


def test_closes_at_is_in_copenhagen_time_for_utc_input(centre):
    status = centre.status(datetime(2025, 6, 2, 6, 0, tzinfo=UTC))

    assert status.closes_at is not None
    assert status.closes_at.utcoffset() == timedelta(hours=2)
    assert status.closes_at == datetime(2025, 6, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "next_open"),
    [
        (cph(2025, 1, 10, 16, 0), cph(2025, 1, 12, 16)),  # Friday after closing -> Sunday
        (cph(2025, 1, 11, 23, 59), cph(2025, 1, 12, 16)),  # Saturday night -> Sunday
        (cph(2025, 1, 12, 20, 0), cph(2025, 1, 13, 8)),  # Sunday evening -> Monday
        (cph(2025, 1, 7, 2, 0), cph(2025, 1, 7, 8)),  # Tuesday night -> same morning
    ],
)
def test_next_open_across_the_weekend(centre, at, next_open):
    status = centre.status(at)

    assert not status.open and status.closes_at is None
    assert status.next_open == next_open


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (cph(2025, 1, 6, 9), "Kontaktcentret har åbent nu (til kl. 20.00)."),
        (cph(2025, 5, 1, 9), "Kontaktcentret har åbent nu (til kl. 12.00)."),
        (cph(2025, 1, 10, 17), "Kontaktcentret har lukket nu. Vi åbner igen søndag kl. 16.00."),
        (cph(2025, 1, 11, 10), "Kontaktcentret har lukket nu. Vi åbner igen i morgen kl. 16.00."),
        (cph(2025, 1, 12, 21), "Kontaktcentret har lukket nu. Vi åbner igen i morgen kl. 8.00."),
        (cph(2025, 1, 12, 9), "Kontaktcentret har lukket nu. Vi åbner igen i dag kl. 16.00."),
        # timezone.utc input just before midnight timezone.utc is already the next day in Copenhagen.
        (
            datetime(2025, 1, 11, 23, 30, tzinfo=UTC),
            "Kontaktcentret har lukket nu. Vi åbner igen i dag kl. 16.00.",
        ),
        (datetime(2025, 6, 1, 22, 30), "Kontaktcentret har lukket nu. Vi åbner igen i dag kl. 8.00."),
    ],
)
def test_status_text(centre, at, text):
    assert centre.status_text(at) == text


def test_hours_text(centre):
    assert centre.hours_text() == (
        "Mandag–torsdag 8–20, fredag 8–16, lørdag lukket, søndag 16–20.\n"
        "1. maj og 5. juni lukker kontaktcentret kl. 12 på hverdage."
    )


def test_phone_and_name(centre):
    assert centre.name == "Den Digitale Hotline"
    assert centre.phone.replace(" ", "").isdigit()


def test_extra_closed_dates(tmp_path):
    centre = ContactCentre.load(write_centre(tmp_path, closed_dates=["2025-12-24"]))

    assert not centre.status(cph(2025, 12, 24, 10)).open  # a Wednesday
    assert centre.status(cph(2025, 12, 24, 10)).next_open == cph(2025, 12, 25, 8)
    assert centre.status_text(cph(2025, 12, 24, 10)).endswith("Vi åbner igen i morgen kl. 8.00.")
    assert centre.hours_text().splitlines()[-1] == "Desuden lukket: 24. december 2025."
    assert "december" not in centre.hours_text(at=cph(2026, 1, 1, 9))


def test_a_long_closure_has_no_known_next_opening(tmp_path):
    closed = [str(date(2025, 1, 1) + timedelta(days=n)) for n in range(120)]
    centre = ContactCentre.load(write_centre(tmp_path, closed_dates=closed))

    assert centre.status(cph(2025, 1, 2, 10)).next_open is None
    assert centre.status_text(cph(2025, 1, 2, 10)) == "Kontaktcentret har lukket nu."


@pytest.mark.parametrize(
    "hours",
    [
        {"monday-thursday": "08:00-20:00", "friday": "08:00-16:00", "saturday": "closed"},
        {"monday-friday": "08:00-20:00", "friday": "08:00-16:00", "saturday-sunday": "closed"},
        {"monday-sunday": "8-20"},
        {"monday-sunday": "20:00-08:00"},
        {"weekdays": "08:00-20:00"},
    ],
    ids=["sunday missing", "friday twice", "bad clock", "closes before opening", "unknown day"],
)
def test_bad_opening_hours(tmp_path, hours):
    with pytest.raises(KnowledgeDataError):
        ContactCentre.load(write_centre(tmp_path, opening_hours=hours))


INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(INSTANTS)
def test_status_is_consistent_at_any_instant(centre, at):
    status = centre.status(at)
    local = at.astimezone(CPH)
    hours = centre.hours_on(local.date())

    assert status.open is (hours is not None and hours.opens <= local.time() < hours.closes)
    if status.open:
        assert status.closes_at is not None and at < status.closes_at <= at + timedelta(hours=12)
    else:
        assert status.next_open is not None and at < status.next_open <= at + timedelta(days=3)
        assert centre.status(status.next_open).open
        assert not centre.status(status.next_open - timedelta(minutes=1)).open
