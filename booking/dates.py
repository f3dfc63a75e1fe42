"""Danish dates and times as citizens write them: "i morgen", "på tirsdag", "i næste uge om
formiddagen", "den 3. december", "3/12", "kl. 10" (pure functions, no clock of their own)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from booking.holidays import holiday_name

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")
MONTH_PREFIXES = {name[:3]: number for number, name in enumerate(MONTHS, start=1)}
SOON_DAYS = 14  # "as soon as possible" and a time of day with no date look this far ahead
MORNING_END = time(12, 0)

_TIME = re.compile(r"\b(?:kl\.?|klokken)\s*(\d{1,2})(?:[.:](\d{2}))?\b|\b(\d{1,2}):(\d{2})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?\b")
_NAMED_DATE = re.compile(r"\b(\d{1,2})\.?\s*(" + "|".join(MONTH_PREFIXES) + r")[a-zæøå]*\.?(?:\s+(\d{4}))?")
_WEEK_NUMBER = re.compile(r"\buge\s*(\d{1,2})\b")


class DateProblem(ValueError):
    """The citizen's words name no usable time."""


class NoDate(DateProblem):
    """Nothing in the text reads as a day or a time."""


class PastDate(DateProblem):
    def __init__(self, day: date) -> None:
        super().__init__(day.isoformat())
        self.day = day


@dataclass(frozen=True)
class When:
    """A range of days, optionally narrowed to a part of the day or a time."""

    first: date
    last: date
    part: str | None = None  # "morning" or "afternoon"
    at: time | None = None

    def encode(self) -> str:
        """A compact text form the conversation keeps in a slot."""
        return f"{self.first}/{self.last}/{self.part or ''}/{self.at.strftime('%H:%M') if self.at else ''}"

    @classmethod
    def decode(cls, raw: str) -> When | None:
        parts = raw.split("/")
        if len(parts) != 4:
            return None
        try:
            return cls(
                date.fromisoformat(parts[0]), date.fromisoformat(parts[1]), parts[2] or None,
                time.fromisoformat(parts[3]) if parts[3] else None,
            )
        except ValueError:
            return None

    def fits(self, start: time) -> bool:
        if self.part == "morning" and start >= MORNING_END:
            return False
        return not (self.part == "afternoon" and start < MORNING_END)


def closed_reason(day: date) -> str | None:
    """Why the citizen service is closed that day ("lørdag", "juledag"), or None."""
    if (holiday := holiday_name(day)) is not None:
        return holiday
    return WEEKDAYS[day.weekday()] if day.weekday() >= 5 else None


def _time(text: str) -> tuple[time | None, str]:
    match = _TIME.search(text)
    if match is None:
        return None, text
    hour = int(match.group(1) or match.group(3))
    minute = int(match.group(2) or match.group(4) or 0)
    if hour > 23 or minute > 59:
        raise DateProblem(f"no such time: {match.group(0)}")
    if hour < 7 and "aften" not in text and "nat" not in text:
        hour += 12  # "kl. 2" in a citizen service means 14:00
    return time(hour, minute), text[: match.start()] + " " + text[match.end():]


def _part(text: str) -> str | None:
    if "eftermiddag" in text:
        return "afternoon"
    if "formiddag" in text or re.search(r"\bom morgenen\b|\btidligt\b", text):
        return "morning"
    return None


def _year_for(day: int, month: int, today: date, year: int | None) -> date:
    try:
        if year is not None:
            return date(year + 2000 if year < 100 else year, month, day)
        candidate = date(today.year, month, day)
    except ValueError:
        raise DateProblem(f"no such date: {day}/{month}") from None
    if candidate < today and (today - candidate).days > 31:
        return candidate.replace(year=today.year + 1)
    return candidate


def _days(text: str, today: date) -> tuple[date, date] | None:
    if re.search(r"\bi går\b|\bi forgårs\b|\bi (?:man|tirs|ons|tors|fre|lør|søn)dags\b", text):
        raise PastDate(today - timedelta(days=1))
    if re.search(r"\bi overmorgen\b", text):
        return today + timedelta(days=2), today + timedelta(days=2)
    if re.search(r"\bi morgen\b", text):
        return today + timedelta(days=1), today + timedelta(days=1)
    if re.search(r"\bi dag\b|\bi eftermiddag\b|\bi formiddag\b", text):
        return today, today
    if match := _NAMED_DATE.search(text):
        day = _year_for(int(match.group(1)), MONTH_PREFIXES[match.group(2)], today,
                        int(match.group(3)) if match.group(3) else None)
        return day, day
    if match := _NUMERIC_DATE.search(text):
        day_number, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            day = _year_for(day_number, month, today, int(match.group(3)) if match.group(3) else None)
            return day, day
    next_monday = today + timedelta(days=7 - today.weekday())
    for number, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name}(?:en)?\b", text):
            if re.search(rf"\bnæste {name}|\bi næste uge\b|\bnæste uge\b", text):
                day = next_monday + timedelta(days=number)
            else:
                day = today + timedelta(days=(number - today.weekday() - 1) % 7 + 1)
            return day, day
    if re.search(r"\b(?:i )?næste uge\b|\bugen efter\b", text):
        return next_monday, next_monday + timedelta(days=6)
    if re.search(r"\bi (?:denne|den her) uge\b|\bi ugen\b|\bresten af ugen\b", text):
        return today, next_monday - timedelta(days=1)
    if match := _WEEK_NUMBER.search(text):
        week = int(match.group(1))
        year = today.year if week >= today.isocalendar().week else today.year + 1
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise DateProblem(f"no week {week}") from None
        return monday, monday + timedelta(days=6)
    if re.search(r"første ledige|hurtigst muligt|snarest|så hurtigt|så snart|hurtigst|snart", text):
        return today, today + timedelta(days=SOON_DAYS)
    return None


def parse_when(text: str, today: date) -> When:
    """Read a Danish time expression; raise NoDate or PastDate (with the day) when it can't be used."""
    lowered = " ".join(text.lower().replace(",", " ").split())
    at, rest = _time(lowered)
    part = _part(rest)
    days = _days(rest, today)
    if days is None:
        if at is None and part is None:
            raise NoDate(text)
        days = (today, today + timedelta(days=SOON_DAYS))
    first, last = days
    if last < today:
        raise PastDate(first)
    return When(max(first, today), last, part, at)
