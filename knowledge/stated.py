"""Values of a kind stated in a crawled page's text: phone numbers, prices, opening hours, e-mails, links.

Each candidate is checked with the kind's own parser (knowledge/kinds.py), so what an editor is
offered is exactly what the console would accept if typed in. Crawled text is untrusted: the
patterns are bounded and a candidate that does not check is dropped, never repaired.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.kinds import HOURS_DAY_WORDS, HOURS_WORDS, InvalidValue, Kind, Scalar, check


@dataclass(frozen=True)
class Stated:
    """A value found in a text, in its normal form, and where it stands (start, end) in that text."""

    value: Scalar
    start: int
    end: int


_PHONE = re.compile(r"(?<![\d+])(?:\+45[\s-]?)?[2-9]\d(?:[\s-]?\d{2}){3}(?![\d])")
# Eight digits after these are a company, account or EAN number, not a phone number.
_NOT_PHONE = re.compile(r"\b(?:cvr|se|ean|p|konto|kontonr|reg|regnr)\b[\s.:-]*(?:nr\.?|nummer)?[\s.:-]*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d{1,7})(?:,(\d{1,2}|-))?\s?(?:kr\b\.?|kroner\b|DKK\b)", re.IGNORECASE
)
_MONEY_BEFORE = re.compile(r"(?:\bkr\.|\bDKK)\s?(\d{1,3}(?:\.\d{3})+|\d{1,7})(?:,(\d{1,2}|-))?(?![\d])", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,4}")
_URL = re.compile(r"https://[^\s<>\"'()\[\]]{1,300}")
# Opening hours: a run of the words, times and signs that opening hours are written with.
_HOURS_TOKEN = re.compile(
    r"(?P<time>\d{1,2}(?:[.:]\d{2})?(?:\s*[–-]\s*\d{1,2}(?:[.:]\d{2})?)?)|(?P<word>[a-zæøå]+)|(?P<sign>[,;–\-.()]|\s+)",
    re.IGNORECASE,
)
_A_DAY = re.compile(
    r"mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|hverdag|weekend|helligdag|jul|påske|nytår|grundlov", re.IGNORECASE
)
_LABEL_COLON = re.compile(r"(?<=[a-zæøå]):\s", re.IGNORECASE)  # "Mandag: 10-15" is written "mandag 10-15"


def stated_values(kind: Kind, text: str) -> Iterator[Stated]:
    """Every value of `kind` the text states, in order; kinds without a pattern (free text) state none."""
    if kind is Kind.PHONE:
        phones = (m for m in _PHONE.finditer(text) if not _NOT_PHONE.search(text[max(m.start() - 16, 0) : m.start()]))
        yield from _checked(kind, ((m.group(), m.start(), m.end()) for m in phones))
    elif kind is Kind.MONEY:
        found = [*_MONEY_AFTER.finditer(text), *_MONEY_BEFORE.finditer(text)]
        yield from _checked(kind, ((_amount(m), m.start(), m.end()) for m in sorted(found, key=lambda m: m.start())))
    elif kind is Kind.EMAIL:
        yield from _checked(kind, ((m.group().rstrip("."), m.start(), m.end()) for m in _EMAIL.finditer(text)))
    elif kind is Kind.URL:
        yield from _checked(kind, ((m.group().rstrip(".,;:!?"), m.start(), m.end()) for m in _URL.finditer(text)))
    elif kind is Kind.HOURS:
        yield from _checked(kind, _hours(text))


def _checked(kind: Kind, found: Iterator[tuple[str, int, int]]) -> Iterator[Stated]:
    for raw, start, end in found:
        try:
            value = check(kind, raw)
        except InvalidValue:
            continue
        yield Stated(value, start, end)


def _amount(match: re.Match[str]) -> str:
    kroner, ore = match.group(1), match.group(2)
    return kroner if ore in (None, "-") else f"{kroner},{ore.ljust(2, '0')}"


def _hours(text: str) -> Iterator[tuple[str, int, int]]:
    """Runs that start with a day and end with a time or 'lukket', e.g. 'mandag–fredag 10–15, lørdag lukket'."""
    if not _A_DAY.search(text):  # most pages name no weekday: skip the word-by-word scan
        return
    # Same length, so positions in `clean` are positions in `text`.
    clean = _LABEL_COLON.sub(lambda m: " " * len(m.group()), text).replace("\n", ";")
    run: list[re.Match[str]] = []
    position = 0
    for match in _HOURS_TOKEN.finditer(clean):
        word = (match.group("word") or "").lower()
        allowed = not word or word in HOURS_WORDS
        if match.start() != position or not allowed:
            yield from _trimmed(clean, run)
            run = []
        if allowed:
            run.append(match)
        position = match.end()
    yield from _trimmed(clean, run)


def _trimmed(text: str, run: list[re.Match[str]]) -> Iterator[tuple[str, int, int]]:
    first = next((i for i, m in enumerate(run) if (m.group("word") or "").lower() in HOURS_DAY_WORDS), None)
    last = next(
        (i for i in range(len(run) - 1, -1, -1) if run[i].group("time") or (run[i].group("word") or "").lower() == "lukket"),
        None,
    )
    if first is None or last is None or last < first:
        return
    start, end = run[first].start(), run[last].end()
    yield " ".join(text[start:end].replace(";", ", ").split()).replace(" ,", ","), start, end
