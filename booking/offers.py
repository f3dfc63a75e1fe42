"""Choosing and naming times for a citizen: which free slots to offer, in Danish, and which one they chose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from booking.dates import WEEKDAYS, When
from booking.model import COPENHAGEN, Slot

MAX_OFFERS = 6
PER_DAY = 3

_CHOICE_TIME = re.compile(r"\b(\d{1,2})[.:](\d{2})\b")
_CHOICE_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")


def local(moment: datetime) -> datetime:
    return moment.astimezone(COPENHAGEN)


def danish_time(moment: datetime) -> str:
    """'tirsdag 24/11 kl. 10.20'."""
    moment = local(moment)
    return f"{WEEKDAYS[moment.weekday()]} {moment.day}/{moment.month} kl. {moment:%H.%M}"


def choose_offers(slots: Sequence[Slot], when: When) -> list[Slot]:
    """Up to MAX_OFFERS times that fit the wish: nearest the wished time, else spread over the days."""
    fitting = [s for s in slots if when.first <= local(s.start).date() <= when.last and when.fits(local(s.start).time())]
    if when.at is not None:
        wished = when.at.hour * 60 + when.at.minute

        def distance(slot: Slot) -> tuple[int, datetime]:
            start = local(slot.start)
            return abs(start.hour * 60 + start.minute - wished), slot.start

        by_day: dict[date, list[Slot]] = {}
        for slot in fitting:
            by_day.setdefault(local(slot.start).date(), []).append(slot)
        chosen = [s for day in sorted(by_day) for s in sorted(by_day[day], key=distance)[:PER_DAY]]
        return sorted(chosen[:MAX_OFFERS], key=lambda s: s.start)
    per_day: dict[date, int] = {}
    chosen = []
    for slot in sorted(fitting, key=lambda s: s.start):
        day = local(slot.start).date()
        if per_day.get(day, 0) < PER_DAY:
            per_day[day] = per_day.get(day, 0) + 1
            chosen.append(slot)
        if len(chosen) == MAX_OFFERS:
            break
    return chosen


def outside_opening_hours(wished: time, slots: Sequence[Slot]) -> bool:
    """Whether the wished time lies before every free time or after every end (no opening hours at hand)."""
    if not slots:
        return False
    earliest = min(local(s.start).time() for s in slots)
    latest = max(local(s.end).time() for s in slots)
    return wished < earliest.replace(minute=0) or wished >= latest


def chosen_slot(text: str, offered: Sequence[Slot]) -> Slot | None:
    """The offered time the citizen picked: a button's title, or a time (and date) they typed."""
    cleaned = text.strip().lower()
    for slot in offered:
        if cleaned == danish_time(slot.start).lower():
            return slot
    times = _CHOICE_TIME.findall(cleaned)
    if len(times) != 1:
        return None
    hour, minute = int(times[0][0]), int(times[0][1])
    date_match = _CHOICE_DATE.search(cleaned)
    matches = [
        s for s in offered
        if (local(s.start).hour, local(s.start).minute) == (hour, minute)
        and (date_match is None or (local(s.start).day, local(s.start).month)
             == (int(date_match.group(1)), int(date_match.group(2))))
        and not any(name in cleaned and WEEKDAYS[local(s.start).weekday()] != name for name in WEEKDAYS)
    ]
    return matches[0] if len(matches) == 1 else None


# How citizens name each service (lower-case patterns), most specific first.
SERVICE_PATTERNS = (
    ("driving_licence", r"\bk(?:ø|o|oe)rekort"),
    ("passport", r"\bpas(?:set|sene|fot\w*)?\b|\bpasport"),
    ("mitid", r"\bmit ?id\b|\bnemid\b"),
    ("health_card", r"\bsundhedskort|\bsygesikring|\bgule? kort"),
    ("residence_eu", r"\bopholds\w*|\bregistreringsbevis"),
    ("other", r"\bandet\b|\bandre\b|\bvielse|\bnavneændring|\battest"),
)
_REFERENCE = re.compile(r"\b([A-Z]{2}-[A-Z0-9]{6})\b", re.IGNORECASE)
YES = frozenset({"ja", "jo", "jep", "yes", "ok", "okay", "gerne", "aflys", "bekræft", "ja tak", "ja, aflys"})
NO = frozenset({"nej", "no", "nej tak", "behold", "behold den", "fortryd", "ikke"})


def service_from_text(text: str, offered: Sequence[str]) -> str | None:
    """The service id the text names, among those offered."""
    if text.strip() in offered:
        return text.strip()
    lowered = text.lower()
    for service_id, pattern in SERVICE_PATTERNS:
        if service_id in offered and re.search(pattern, lowered):
            return service_id
    return None


def find_reference(text: str) -> str | None:
    match = _REFERENCE.search(text)
    return match.group(1).upper() if match else None


def yes_or_no(text: str) -> bool | None:
    words = " ".join(text.lower().replace("!", " ").replace(".", " ").split())
    if words in YES or words.startswith(("ja ", "ja,")):
        return True
    if words in NO or words.startswith(("nej ", "nej,")):
        return False
    return None


def encode_slot(slot: Slot) -> str:
    return f"{slot.service_id}|{slot.location_id}|{slot.start.isoformat()}|{int((slot.end - slot.start).total_seconds() // 60)}"


def decode_slot(raw: str) -> Slot | None:
    try:
        service, location, start, minutes = raw.split("|")
        begins = datetime.fromisoformat(start)
        return Slot(service, location, begins, begins + timedelta(minutes=int(minutes)))
    except ValueError:
        return None
