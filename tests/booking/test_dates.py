"""Danish dates and times as citizens write them (today is Monday 23 November 2026)."""
from __future__ import annotations

from datetime import date, time

import pytest

from booking.dates import NoDate, PastDate, When, closed_reason, parse_when
from booking.holidays import easter_sunday

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "first", "last", "part", "at"),
    [
        ("i morgen", date(2026, 11, 24), date(2026, 11, 24), None, None),
        ("I morgen formiddag", date(2026, 11, 24), date(2026, 11, 24), "morning", None),
        ("i overmorgen", date(2026, 11, 25), date(2026, 11, 25), None, None),
        ("på tirsdag", date(2026, 11, 24), date(2026, 11, 24), None, None),
        ("mandag", date(2026, 11, 30), date(2026, 11, 30), None, None),
        ("næste tirsdag", date(2026, 12, 1), date(2026, 12, 1), None, None),
        ("torsdag i næste uge", date(2026, 12, 3), date(2026, 12, 3), None, None),
        ("i næste uge om formiddagen", date(2026, 11, 30), date(2026, 12, 6), "morning", None),
        ("næste uge om eftermiddagen", date(2026, 11, 30), date(2026, 12, 6), "afternoon", None),
        ("den 3. december", date(2026, 12, 3), date(2026, 12, 3), None, None),
        ("3. dec", date(2026, 12, 3), date(2026, 12, 3), None, None),
        ("3/12", date(2026, 12, 3), date(2026, 12, 3), None, None),
        ("3.12.2026 kl. 10.30", date(2026, 12, 3), date(2026, 12, 3), None, time(10, 30)),
        ("den 5. januar", date(2027, 1, 5), date(2027, 1, 5), None, None),
        ("kl. 10", MONDAY, date(2026, 12, 7), None, time(10, 0)),
        ("tirsdag klokken 14", date(2026, 11, 24), date(2026, 11, 24), None, time(14, 0)),
        ("i dag kl 2", MONDAY, MONDAY, None, time(14, 0)),
        ("om eftermiddagen", MONDAY, date(2026, 12, 7), "afternoon", None),
        ("første ledige tid", MONDAY, date(2026, 12, 7), None, None),
        ("uge 50", date(2026, 12, 7), date(2026, 12, 13), None, None),
    ],
)
def test_danish_expressions(text: str, first: date, last: date, part: str | None, at: time | None) -> None:
    assert parse_when(text, MONDAY) == When(first, last, part, at)


@pytest.mark.parametrize("text", ["i går", "den 20. november", "20/11", "i fredags"])
def test_past_dates_are_named(text: str) -> None:
    with pytest.raises(PastDate) as past:
        parse_when(text, MONDAY)
    assert past.value.day < MONDAY


@pytest.mark.parametrize("text", ["hej", "det ved jeg ikke", ""])
def test_no_date(text: str) -> None:
    with pytest.raises(NoDate):
        parse_when(text, MONDAY)


def test_impossible_dates_and_times_are_problems() -> None:
    for text in ("31/2", "kl. 25"):
        with pytest.raises(ValueError):
            parse_when(text, MONDAY)


def test_on_a_tuesday_på_tirsdag_means_next_week() -> None:
    assert parse_when("på tirsdag", date(2026, 11, 24)).first == date(2026, 12, 1)


def test_encoding_round_trips() -> None:
    when = parse_when("i næste uge om formiddagen kl. 10", MONDAY)
    assert When.decode(when.encode()) == when
    assert When.decode("i morgen") is None


def test_closed_days_weekends_and_holidays() -> None:
    assert closed_reason(date(2026, 11, 28)) == "lørdag"
    assert closed_reason(date(2026, 12, 25)) == "juledag"
    assert closed_reason(date(2027, 3, 26)) == "langfredag"
    assert closed_reason(date(2026, 6, 5)) == "grundlovsdag"
    assert closed_reason(MONDAY) is None
    assert easter_sunday(2026) == date(2026, 4, 5) and easter_sunday(2027) == date(2027, 3, 28)
