"""The kinds of local value (money, phone, URL, e-mail, opening hours, text) and their validation.

Every check answers in Danish and says what is wrong, because the error is shown to the
municipality's content editor next to the field they typed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

Scalar = str | int | float

MAX_TEXT = 1000  # one value is a sentence or two, never a page


class Kind(Enum):
    MONEY = "money"  # DKK, a number of kroner (øre allowed)
    PHONE = "phone"  # a Danish phone number, 8 digits, +45 allowed
    URL = "url"  # https:// only: the assistant links to it
    EMAIL = "email"
    HOURS = "hours"  # opening hours by weekday, with exceptions
    TEXT = "text"  # free text

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def hint(self) -> str:
        return _HINTS[self]


_LABELS = {
    Kind.MONEY: "beløb i kroner",
    Kind.PHONE: "telefonnummer",
    Kind.URL: "link",
    Kind.EMAIL: "e-mailadresse",
    Kind.HOURS: "åbningstider",
    Kind.TEXT: "tekst",
}
_HINTS = {
    Kind.MONEY: "Et beløb i kroner, fx 120 eller 559,40 (uden 'kr.').",
    Kind.PHONE: "Otte cifre, gerne i par: 87 13 00 00. +45 må stå foran.",
    Kind.URL: "Et fuldt link, der begynder med https://",
    Kind.EMAIL: "En e-mailadresse, fx borgerservice@kommune.dk",
    Kind.HOURS: "Ugedage og tidsrum, fx 'mandag–torsdag 10–15, fredag 10–13, lørdag lukket'.",
    Kind.TEXT: "En kort tekst til borgeren (højst 1000 tegn).",
}


class InvalidValue(ValueError):
    """A value that does not fit its kind; the message is Danish and says what is wrong."""


def check(kind: Kind, raw: object) -> Scalar:
    """The value in its normal form (a number for money, a text otherwise), or InvalidValue."""
    if isinstance(raw, bool):
        raise InvalidValue("Værdien skal være en tekst eller et tal, ikke ja/nej.")
    if kind is Kind.MONEY:
        return _money(raw)
    if not isinstance(raw, str | int | float):
        raise InvalidValue("Værdien skal være en tekst eller et tal.")
    text = " ".join(str(raw).split())
    if not text:
        raise InvalidValue("Feltet er tomt. Skriv en værdi.")
    if len(text) > MAX_TEXT:
        raise InvalidValue(f"Teksten er {len(text)} tegn lang; højst {MAX_TEXT} tegn er tilladt.")
    return _TEXT_CHECKS[kind](text)


_MONEY = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?$")


def _money(raw: object) -> int | float:
    if isinstance(raw, int | float):
        number: float = raw
    elif isinstance(raw, str):
        text = raw.strip().removesuffix("kr.").removesuffix("kr").strip()
        if not text:
            raise InvalidValue("Feltet er tomt. Skriv et beløb i kroner, fx 120.")
        if not _MONEY.match(text):
            raise InvalidValue(f"'{raw.strip()}' er ikke et beløb. Skriv kroner med komma før øre, fx 120 eller 559,40.")
        number = float(text.replace(".", "").replace(",", "."))
    else:
        raise InvalidValue("Et beløb skal være et tal.")
    if number < 0:
        raise InvalidValue("Et beløb kan ikke være negativt.")
    if number > 1_000_000:
        raise InvalidValue("Beløbet er over 1.000.000 kr. – tjek, om der er et ciffer for meget.")
    return int(number) if float(number).is_integer() else round(number, 2)


def _phone(text: str) -> str:
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+45"):
        digits = digits[3:]
    if not digits.isdigit():
        raise InvalidValue(f"'{text}' er ikke et telefonnummer: det må kun have cifre, mellemrum og +45 foran.")
    if len(digits) != 8:
        raise InvalidValue(f"Et dansk telefonnummer har 8 cifre; '{text}' har {len(digits)}.")
    return " ".join(digits[i : i + 2] for i in range(0, 8, 2))


_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def _url(text: str) -> str:
    if " " in text:
        raise InvalidValue("Et link må ikke indeholde mellemrum.")
    if not text.lower().startswith("https://"):
        raise InvalidValue(f"'{text}' er ikke et sikkert link: det skal begynde med https://")
    host = text[len("https://") :].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()
    if not _HOST.match(host):
        raise InvalidValue(f"'{host or text}' er ikke et gyldigt domæne (fx kommune.dk).")
    if any(c in text for c in "<>\"'"):
        raise InvalidValue("Et link må ikke indeholde tegnene < > \" eller '.")
    return text


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _email(text: str) -> str:
    if "@" not in text:
        raise InvalidValue(f"'{text}' er ikke en e-mailadresse: der mangler et @.")
    if not _EMAIL.match(text):
        raise InvalidValue(f"'{text}' er ikke en gyldig e-mailadresse (fx borgerservice@kommune.dk).")
    return text.lower()


_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni", "juli",
    "august", "september", "oktober", "november", "december",
)  # fmt: skip
# Words that may stand between the days and the times: "dog", "også", "(om vinteren …)".
_DAY_WORDS = frozenset(
    {*_WEEKDAYS, *(d + "e" for d in _WEEKDAYS), "hverdage", "weekend", "weekenden", "helligdage", "alle", "dage"}
    | {"juleaften", "nytårsaften", "grundlovsdag", "påske", "påsken", "jul", "julen", "sommerferien", *_MONTHS}
)
_OTHER_WORDS = frozenset(
    {"og", "dog", "også", "til", "fra", "kl", "om", "i", "undtagen", "samt", "lukket", "efter", "aftale"}
    | {"vinteren", "sommeren", "sommer", "vinter", "ulige", "lige", "uger", "uge", "den", "d", "hele"}
)
# What a text stating opening hours is made of (knowledge/stated.py finds such runs in crawled pages).
HOURS_DAY_WORDS = _DAY_WORDS
HOURS_WORDS = _DAY_WORDS | _OTHER_WORDS
_TOKEN = re.compile(
    r"(?P<range>\d{1,2}(?:[.:]\d{2})?\s*[–-]\s*\d{1,2}(?:[.:]\d{2})?)"
    r"|(?P<date>\d{1,2}\.\s?\d{1,2}\.?)"
    r"|(?P<time>\d{1,2}(?:[.:]\d{2})?)"
    r"|(?P<word>[a-zæøå]+)"
    r"|(?P<punct>[,;()–\-.])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.IGNORECASE,
)


def _hours(text: str) -> str:
    days = times = 0
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "range":
            start, end = re.split(r"\s*[–-]\s*", token)
            if _minutes(start) >= _minutes(end):
                raise InvalidValue(f"Tidsrummet '{token}' slutter før det begynder.")
            times += 1
        elif kind == "time":
            _minutes(token)
            times += 1
        elif kind == "date":
            day, month = (int(part) for part in re.findall(r"\d+", token))
            if not (1 <= day <= 31 and 1 <= month <= 12):
                raise InvalidValue(f"'{token}' er ikke en dato (dag.måned.).")
            days += 1
        elif kind == "word":
            word = token.lower()
            if word in _DAY_WORDS:
                days += 1
            elif word == "lukket":
                times += 1
            elif word not in _OTHER_WORDS:
                raise InvalidValue(f"'{token}' er ikke en ugedag eller et ord, åbningstider kan bruge. {Kind.HOURS.hint}")
        elif kind == "other":
            raise InvalidValue(f"Tegnet '{token}' kan ikke bruges i åbningstider.")
    if not days:
        raise InvalidValue(f"Der står ingen ugedag. {Kind.HOURS.hint}")
    if not times:
        raise InvalidValue(f"Der står intet tidsrum (fx 10–15) eller 'lukket'. {Kind.HOURS.hint}")
    return text


def _minutes(token: str) -> int:
    hours, _, minutes = token.replace(":", ".").partition(".")
    if int(hours) > 24 or (minutes and int(minutes) > 59) or (int(hours) == 24 and minutes and int(minutes)):
        raise InvalidValue(f"'{token}' er ikke et klokkeslæt.")
    return int(hours) * 60 + int(minutes or 0)


def _text(text: str) -> str:
    return text


_TEXT_CHECKS: dict[Kind, Callable[[str], str]] = {
    Kind.PHONE: _phone,
    Kind.URL: _url,
    Kind.EMAIL: _email,
    Kind.HOURS: _hours,
    Kind.TEXT: _text,
}
