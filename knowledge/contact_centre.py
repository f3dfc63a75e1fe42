"""The shared contact centre (Den Digitale Hotline): phone, opening hours, open-now."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from knowledge._yaml import read_mapping, require
from knowledge.errors import KnowledgeDataError
from knowledge.values import parse_value

PACKAGE_DIR = Path(__file__).resolve().parent
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DANISH_DAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
DANISH_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# How far ahead to look for the next opening; a longer closure is reported as unknown.
SEARCH_DAYS = 60
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Hours:
    opens: time
    closes: time


@dataclass(frozen=True)
class EarlyClosing:
    """A yearly date that closes early (1 May, 5 June); weekdays_only: not on Sat/Sun."""

    month: int
    day: int
    closes: time
    weekdays_only: bool = True

    def applies(self, day: date) -> bool:
        return (day.month, day.day) == (self.month, self.day) and not (
            self.weekdays_only and day.weekday() >= 5
        )

    @property
    def label(self) -> str:
        return f"{self.day}. {DANISH_MONTHS[self.month - 1]}"

    @property
    def label_en(self) -> str:
        return f"{self.day} {ENGLISH_MONTHS[self.month - 1]}"


@dataclass(frozen=True)
class OpeningStatus:
    open: bool
    closes_at: datetime | None
    next_open: datetime | None


@dataclass(frozen=True)
class ContactCentre:
    name: str
    phone: str
    phone_demo: bool
    timezone: ZoneInfo
    weekly: tuple[Hours | None, ...]  # Monday first
    early_closings: tuple[EarlyClosing, ...] = ()
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def load(cls, path: Path | None = None) -> ContactCentre:
        """Read contact_centre.yml (by default the one in this package)."""
        path = PACKAGE_DIR / "contact_centre.yml" if path is None else path
        return _parse(read_mapping(path), str(path))

    def hours_on(self, day: date) -> Hours | None:
        """The opening hours on a local calendar date, exceptions applied; None when closed."""
        hours = None if day in self.closed_dates else self.weekly[day.weekday()]
        for rule in self.early_closings:
            if hours is not None and rule.applies(day):
                closes = min(hours.closes, rule.closes)
                hours = Hours(hours.opens, closes) if closes > hours.opens else None
        return hours

    def status(self, at: datetime) -> OpeningStatus:
        """Open or closed at an instant (aware in any zone, or naive meaning UTC)."""
        local = self.local_time(at)
        hours = self.hours_on(local.date())
        if hours is not None:
            closes = self._instant(local.date(), hours.closes)
            if self._instant(local.date(), hours.opens) <= local < closes:
                return OpeningStatus(open=True, closes_at=closes, next_open=None)
        return OpeningStatus(open=False, closes_at=None, next_open=self._next_open(local))

    def status_text(self, at: datetime, language: str = "da") -> str:
        """A sentence (Danish, or English for "en"): open now until when, or closed and when it opens again."""
        status = self.status(at)
        if language == "en":
            return _status_english(status, self.local_time(at).date())
        if status.closes_at is not None:
            return f"Kontaktcentret har åbent nu (til kl. {_clock(status.closes_at)})."
        if status.next_open is None:
            return "Kontaktcentret har lukket nu."
        when = _relative_day(self.local_time(at).date(), status.next_open.date())
        return f"Kontaktcentret har lukket nu. Vi åbner igen {when} kl. {_clock(status.next_open)}."

    def hours_lines(self, at: datetime | None = None, language: str = "da") -> tuple[str, ...]:
        """Lines (Danish, or English for "en"): the week, the early-closing days, closed dates (from `at` on)."""
        english = language == "en"
        lines = [_capitalise(", ".join(_weekly_parts(self.weekly, english))) + "."]
        lines.extend(_early_closing_lines(self.early_closings, english))
        first = None if at is None else self.local_time(at).date()
        closed = sorted(day for day in self.closed_dates if first is None or day >= first)
        if closed and english:
            days = [f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}" for day in closed]
            lines.append(f"Also closed: {_join(days, 'and')}.")
        elif closed:
            days = [f"{day.day}. {DANISH_MONTHS[day.month - 1]} {day.year}" for day in closed]
            lines.append(f"Desuden lukket: {_join(days)}.")
        return tuple(lines)

    def hours_text(self, at: datetime | None = None, language: str = "da") -> str:
        return "\n".join(self.hours_lines(at, language))

    def local_time(self, at: datetime) -> datetime:
        aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        return aware.astimezone(self.timezone)

    def _instant(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.timezone)

    def _next_open(self, local: datetime) -> datetime | None:
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            hours = self.hours_on(day)
            if hours is not None and self._instant(day, hours.opens) > local:
                return self._instant(day, hours.opens)
        return None


def _parse(data: dict[str, Any], where: str) -> ContactCentre:
    phone = parse_value(require(data, "phone", (str, dict), where), f"{where}: phone")
    try:
        zone = ZoneInfo(require(data, "timezone", str, where))
    except ZoneInfoNotFoundError as exc:
        raise KnowledgeDataError(f"{where}: unknown timezone") from exc
    early = require(data, "early_closing", list, where) if "early_closing" in data else []
    return ContactCentre(
        name=require(data, "name", str, where),
        phone=str(phone.value),
        phone_demo=phone.demo,
        timezone=zone,
        weekly=_parse_week(require(data, "opening_hours", dict, where), f"{where}: opening_hours"),
        early_closings=tuple(
            _parse_early(item, f"{where}: early_closing[{i}]") for i, item in enumerate(early)
        ),
        closed_dates=frozenset(
            _parse_date(item, f"{where}: closed_dates") for item in data.get("closed_dates") or []
        ),
    )


def _parse_week(raw: dict[str, Any], where: str) -> tuple[Hours | None, ...]:
    week: dict[int, Hours | None] = {}
    for key, spec in raw.items():
        first, _, last = str(key).partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise KnowledgeDataError(f"{where}: {key!r} is not a day or a day range like monday-thursday")
        days = range(WEEKDAYS.index(first), WEEKDAYS.index(last or first) + 1)
        for index in days:
            if index in week:
                raise KnowledgeDataError(f"{where}: {WEEKDAYS[index]} is given twice")
            week[index] = _parse_hours(spec, f"{where}.{key}")
    if len(week) != len(WEEKDAYS):
        missing = [WEEKDAYS[index] for index in range(7) if index not in week]
        raise KnowledgeDataError(f"{where}: no hours for {missing}")
    return tuple(week[index] for index in range(7))


def _parse_hours(spec: Any, where: str) -> Hours | None:
    if spec == "closed":
        return None
    opens, _, closes = str(spec).partition("-")
    hours = Hours(_parse_clock(opens, where), _parse_clock(closes, where))
    if hours.closes <= hours.opens:
        raise KnowledgeDataError(f"{where}: closes before it opens")
    return hours


def _parse_clock(text: str, where: str) -> time:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise KnowledgeDataError(f"{where}: expected 'HH:MM-HH:MM' or 'closed', got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _parse_early(raw: Any, where: str) -> EarlyClosing:
    if not isinstance(raw, dict):
        raise KnowledgeDataError(f"{where}: expected {{month, day, closes, weekdays_only}}")
    rule = EarlyClosing(
        month=require(raw, "month", int, where),
        day=require(raw, "day", int, where),
        closes=_parse_clock(require(raw, "closes", str, where), where),
        weekdays_only=raw.get("weekdays_only", True),
    )
    try:
        date(2000, rule.month, rule.day)  # a leap year, so 29 February is allowed
    except ValueError as exc:
        raise KnowledgeDataError(f"{where}: no such date") from exc
    return rule


def _parse_date(raw: Any, where: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise KnowledgeDataError(f"{where}: {raw!r} is not a YYYY-MM-DD date") from exc


def _status_english(status: OpeningStatus, today: date) -> str:
    if status.closes_at is not None:
        return f"The contact centre is open now (until {_clock(status.closes_at, ':')})."
    if status.next_open is None:
        return "The contact centre is closed now."
    when = _relative_day_english(today, status.next_open.date())
    return f"The contact centre is closed now. We open again {when} at {_clock(status.next_open, ':')}."


def _weekly_parts(weekly: tuple[Hours | None, ...], english: bool = False) -> list[str]:
    groups: list[list[int]] = []
    for index, hours in enumerate(weekly):
        if groups and weekly[groups[-1][0]] == hours:
            groups[-1].append(index)
        else:
            groups.append([index])
    return [f"{_day_span(group, english)} {_hours_span(weekly[group[0]], english)}" for group in groups]


def _day_span(group: list[int], english: bool = False) -> str:
    names = [(ENGLISH_DAYS if english else DANISH_DAYS)[index] for index in group]
    if len(names) <= 2:
        return (" and " if english else " og ").join(names)
    return f"{names[0]}–{names[-1]}"


def _hours_span(hours: Hours | None, english: bool = False) -> str:
    if hours is None:
        return "closed" if english else "lukket"
    if english:
        return f"{_clock(hours.opens, ':')}–{_clock(hours.closes, ':')}"
    return f"{_short(hours.opens)}–{_short(hours.closes)}"


def _early_closing_lines(rules: Iterable[EarlyClosing], english: bool = False) -> list[str]:
    groups: dict[tuple[time, bool], list[str]] = {}
    for rule in rules:
        groups.setdefault((rule.closes, rule.weekdays_only), []).append(rule.label_en if english else rule.label)
    if english:
        return [
            f"On {_join(labels, 'and')} the contact centre closes at {_clock(closes, ':')}"
            f"{' on weekdays' if weekdays else ''}."
            for (closes, weekdays), labels in groups.items()
        ]
    return [
        f"{_join(labels)} lukker kontaktcentret kl. {_short(closes)}{' på hverdage' if weekdays else ''}."
        for (closes, weekdays), labels in groups.items()
    ]


def _relative_day(today: date, day: date) -> str:
    days = (day - today).days
    if days == 0:
        return "i dag"
    if days == 1:
        return "i morgen"
    name = DANISH_DAYS[day.weekday()]
    return name if days < 7 else f"{name} den {day.day}. {DANISH_MONTHS[day.month - 1]}"


def _relative_day_english(today: date, day: date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    name = ENGLISH_DAYS[day.weekday()]
    return f"on {name}" if days < 7 else f"on {name} {day.day} {ENGLISH_MONTHS[day.month - 1]}"


def _clock(moment: datetime | time, separator: str = ".") -> str:
    """8.00 in Danish; 8:00 with separator ':' (English)."""
    return f"{moment.hour}{separator}{moment.minute:02d}"


def _short(moment: time) -> str:
    return str(moment.hour) if moment.minute == 0 else _clock(moment)


def _join(items: list[str], conjunction: str = "og") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
