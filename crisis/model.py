"""A crisis and the rules it must meet: short enough for a banner and a spoken greeting, never on by oversight."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

MAX_TITLE = 80  # one line of a banner
MAX_MESSAGE = 300  # about 20 seconds read aloud, three lines of a banner
MAX_LINK = 500
DEFAULT_DURATION = timedelta(hours=24)
MAX_DURATION = timedelta(days=14)  # from its start to its expiry
MAX_LEAD = timedelta(days=14)  # how far ahead a crisis may be scheduled (a storm warning, a planned shutdown)
# A start this little in the past is a clock or a slow form, and is treated as now; further back is an error
# (most likely a wrong date or time zone), never a crisis silently started hours "ago".
PAST_GRACE = timedelta(minutes=5)
DANISH_TIME = ZoneInfo("Europe/Copenhagen")  # a start written without a time zone (console, CLI) is Danish time
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_PHONE = re.compile(r"^\+?[0-9 ]{8,20}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


SCHEDULED, ACTIVE, EXPIRED = "scheduled", "active", "expired"


class CrisisError(ValueError):
    """Input a crisis cannot have; the message is Danish and names the limit."""


@dataclass(frozen=True)
class Crisis:
    municipality: str
    title: str
    message_da: str
    message_en: str | None
    link: str | None
    phone: str | None
    starts_at: datetime
    expires_at: datetime
    set_by: str
    set_at: datetime

    def active_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.expires_at

    def state_at(self, moment: datetime) -> str:
        """"scheduled" (set to start later), "active" or "expired"; only an active one is on any channel."""
        if moment < self.starts_at:
            return SCHEDULED
        return ACTIVE if moment < self.expires_at else EXPIRED

    def public(self) -> dict[str, Any]:
        """What the public read and the widget's banner get (who set it stays inside)."""
        return {
            "municipality": self.municipality,
            "title": self.title,
            "message": self.message_da,
            "message_en": self.message_en,
            "link": self.link,
            "phone": self.phone,
            "starts_at": self.starts_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }

    def snapshot(self) -> dict[str, Any]:
        """For the history and the audit log."""
        values = asdict(self)
        for key in ("starts_at", "expires_at", "set_at"):
            values[key] = values[key].isoformat()
        return values


def parse_duration(text: str) -> timedelta:
    """'12h', '90m', '3d' – how long a crisis stays on."""
    match = _DURATION.match(text)
    if match is None:
        raise CrisisError(f"Ugyldig varighed {text!r}: skriv fx 90m, 12h eller 3d.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_start(text: str, now: datetime) -> datetime:
    """When a crisis starts: '2h', '90m', '3d' from now, or a time like '2026-12-07T08:00' (Danish time
    unless it names its zone, e.g. '2026-12-07T08:00+01:00'). The rules (not in the past, at most
    MAX_LEAD ahead) are make_crisis's."""
    cleaned = text.strip()
    if _DURATION.match(cleaned):
        return now + parse_duration(cleaned)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise CrisisError(
            f"Ugyldigt starttidspunkt {text!r}: skriv fx 2026-12-07T08:00 (dansk tid) eller 2h (om to timer)."
        ) from None
    return moment.replace(tzinfo=DANISH_TIME) if moment.tzinfo is None else moment


def _text(value: str | None, name: str, limit: int, *, required: bool) -> str | None:
    cleaned = _CONTROL.sub("", value or "").strip()
    if not cleaned:
        if required:
            raise CrisisError(f"{name} mangler.")
        return None
    if len(cleaned) > limit:
        raise CrisisError(f"{name} er {len(cleaned)} tegn; højst {limit} tegn passer i banneret og den indtalte hilsen.")
    return cleaned  # stored as text: every channel escapes it (HTML) or speaks it (TwiML), never renders it


def make_crisis(
    *,
    municipality: str,
    title: str,
    message_da: str,
    message_en: str | None = None,
    link: str | None = None,
    phone: str | None = None,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    set_by: str,
    now: datetime,
) -> Crisis:
    """A checked crisis; CrisisError with a clear Danish message for anything it cannot have.

    The start is now unless given; a start up to PAST_GRACE in the past is treated as now, one
    further back is refused, and one more than MAX_LEAD ahead too. The expiry is 24 hours after
    the start unless given, must lie after the start and now, and at most 14 days after the start.
    """
    start = now if starts_at is None else starts_at
    if start < now - PAST_GRACE:
        raise CrisisError("Starttidspunktet ligger i fortiden. Lad feltet stå tomt for at starte nu.")
    start = max(start, now)
    if start - now > MAX_LEAD:
        raise CrisisError("En krise kan højst planlægges 14 dage frem.")
    end = start + DEFAULT_DURATION if expires_at is None else expires_at
    if end <= now:
        raise CrisisError("Udløbstidspunktet ligger i fortiden.")
    if end <= start:
        raise CrisisError("Udløbstidspunktet skal ligge efter starttidspunktet.")
    if end - start > MAX_DURATION:
        raise CrisisError("En krise kan højst være slået til i 14 dage ad gangen (fra start til udløb).")
    return Crisis(
        municipality=municipality,
        title=_text(title, "Titlen", MAX_TITLE, required=True) or "",
        message_da=_text(message_da, "Beskeden", MAX_MESSAGE, required=True) or "",
        message_en=_text(message_en, "Den engelske besked", MAX_MESSAGE, required=False),
        link=_link(link),
        phone=_phone(phone),
        starts_at=start.astimezone(UTC),  # kept in UTC whatever zone it was written in
        expires_at=end.astimezone(UTC),
        set_by=set_by,
        set_at=now,
    )


def _link(value: str | None) -> str | None:
    link = (value or "").strip()
    if not link:
        return None
    parts = urlsplit(link)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(link) > MAX_LINK or " " in link:
        raise CrisisError(f"Linket skal være en adresse, der begynder med https:// (højst {MAX_LINK} tegn).")
    return link


def _phone(value: str | None) -> str | None:
    phone = (value or "").strip()
    if not phone:
        return None
    if not _PHONE.match(phone) or not 8 <= sum(c.isdigit() for c in phone) <= 15:
        raise CrisisError("Telefonnummeret skal have 8 til 15 cifre, fx 70 12 34 56 eller +45 70 12 34 56.")
    return phone
