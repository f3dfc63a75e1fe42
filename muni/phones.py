"""Phone numbers as Muni accepts them: one pattern for each form, used by every channel."""

from __future__ import annotations

import re

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# A Danish subscriber number (8 digits, not starting 0 or 1), with or without +45 / 0045.
DANISH = re.compile(r"(?:\+45|0045)?([2-9][0-9]{7})")
_SEPARATORS = re.compile(r"[\s\-().]")


def is_e164(number: str) -> bool:
    return E164.fullmatch(number) is not None


def compact(number: str) -> str:
    """The number without spaces, dashes, dots or brackets."""
    return _SEPARATORS.sub("", number)


def danish_e164(raw: str) -> str | None:
    """'+45 20 12 34 56', '0045…' or '20123456' as +4520123456; None for anything else."""
    match = DANISH.fullmatch(compact(raw))
    return None if match is None else "+45" + match.group(1)


def normalise(number: str) -> str | None:
    """E.164 without separators (00 → +, an 8-digit Danish number gets +45), or None if it is none."""
    found = compact(number)
    if found.startswith("00"):
        found = "+" + found[2:]
    if re.fullmatch(r"[0-9]{8}", found):
        found = "+45" + found
    return found if is_e164(found) else None
