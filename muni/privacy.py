"""Redaction of personal data (CPR numbers, phone numbers, e-mail addresses) in citizens' text.

Everything a citizen writes passes through `redact` before it is stored, logged or sent
to the NLU. The rules lean towards redacting: a lost digit in a log line is cheap, a
leaked CPR number is not.
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "CPR_PLACEHOLDER",
    "EMAIL_PLACEHOLDER",
    "PHONE_PLACEHOLDER",
    "RedactingFilter",
    "contact_details",
    "contains_pii",
    "redact",
]

CPR_PLACEHOLDER = "[CPR]"
PHONE_PLACEHOLDER = "[TELEFON]"
EMAIL_PLACEHOLDER = "[EMAIL]"

# A space inside a number: text pasted from Word or a web page often has no-break spaces.
_SP = r"[ \xa0]"

# RFC 5322 "atext" plus the dot: what an unquoted local part may contain.
_LOCAL_CHAR = r"[\w.!#$%&'*+/=?^`{|}~-]"

_EMAIL = re.compile(
    rf"""
    (?<!{_LOCAL_CHAR})        # start at the beginning of a run, so scanning stays linear
    {_LOCAL_CHAR}+
    @
    (?:[\w-]+\.)+[\w-]{{2,}}  # \w keeps IDN domains such as sønderborg.dk
    """,
    re.VERBOSE,
)

# DDMMYY as a real calendar date, written with an optional space between the pairs. The
# date is checked here rather than in Python so that an invalid date never consumes
# digits that a valid CPR number starting later could have used. The CPR century digit
# is not consulted: 29 February is accepted whenever 19YY or 20YY is a leap year, which
# is exactly when YY is divisible by 4 (2000 was a leap year).
_CPR_DATE = rf"""
    (?:
        (?:0[1-9]|1[0-9]|2[0-8]) {_SP}? (?:0[1-9]|1[0-2])      {_SP}? [0-9]{{2}}
      | (?:29|30)                {_SP}? (?:0[13-9]|1[0-2])     {_SP}? [0-9]{{2}}
      | 31                       {_SP}? (?:0[13578]|1[02])     {_SP}? [0-9]{{2}}
      | 29                       {_SP}? 02 {_SP}? (?:[02468][048]|[13579][26])
    )
"""

# No modulus-11 check: CPR numbers issued since 2007 need not satisfy it.
_CPR = rf"""
    (?<![0-9+])
    {_CPR_DATE}
    [-\u2010\u2011\u2013\xa0\ ]?   # hyphen, its Unicode look-alikes, en dash or a space
    [0-9]{{2}} {_SP}? [0-9]{{2}}
    (?![0-9])
"""

# A Danish number is eight digits, grouped the ways people actually write them. A digit,
# letter, "+" or "-" right before it, or a decimal/date separator between it and another
# digit, makes it part of something else (an amount, a reference such as BK-12345678).
_DK_LOCAL = rf"""
    (?:
        [0-9]{{8}}
      | [0-9]{{4}} {_SP} [0-9]{{4}}
      | [0-9]{{2}} {_SP} [0-9]{{2}} {_SP} [0-9]{{2}} {_SP} [0-9]{{2}}
      | [0-9]{{2}} {_SP} [0-9]{{2}} {_SP} [0-9]{{4}}
      | [0-9]{{4}} {_SP} [0-9]{{2}} {_SP} [0-9]{{2}}
    )
"""
# "45 12 34 56 78" is read as country code and number; otherwise "45" would be taken as
# the first pair and "78" left behind.
_DK_COUNTRY_CODE = rf"(?: (?: \+45 | 0045 | \(\+45\) | 45(?={_SP}) ) {_SP}? )"
_PHONE_END = r"(?! \w | [.,/-][0-9] )"
_DK_PHONE = rf"""
    (?<![\w+-]) (?<![0-9][.,/])
    {_DK_COUNTRY_CODE}? {_DK_LOCAL}
    {_PHONE_END}
"""
# Any international number: "+", then 7 to 15 digits with single spaces or hyphens between.
_INTERNATIONAL_PHONE = rf"""
    (?<![\w+])
    \+ [0-9] (?: [\xa0\ -]? [0-9] ){{6,14}}
    {_PHONE_END}
"""

# One left-to-right pass. At any position a CPR number wins over a phone number, so a
# CPR number never turns into a phone number plus leftover digits; a number that starts
# further left ("+46 …") is taken whole. A "+45" number longer than eight digits is
# still a "+" number, hence the international form before the Danish one.
_NUMBER = re.compile(
    rf"(?P<cpr>{_CPR}) | (?P<phone>{_INTERNATIONAL_PHONE} | {_DK_PHONE})",
    re.VERBOSE | re.ASCII,
)


def _number_placeholder(match: re.Match[str]) -> str:
    return CPR_PLACEHOLDER if match.lastgroup == "cpr" else PHONE_PLACEHOLDER


def redact(text: str) -> str:
    """Replace CPR numbers, phone numbers and e-mail addresses with placeholders."""
    # E-mail first: a local part may hold digits ("12345678@…", "+45…@…").
    without_email = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    return _NUMBER.sub(_number_placeholder, without_email)


def contact_details(text: str) -> list[str]:
    """The e-mail addresses and phone numbers in the text (never CPR numbers), in order."""
    emails = [(m.start(), m.group(0)) for m in _EMAIL.finditer(text)]
    without_email = _EMAIL.sub(lambda m: " " * len(m.group(0)), text)
    phones = [(m.start(), m.group(0)) for m in _NUMBER.finditer(without_email) if m.lastgroup == "phone"]
    return [found for _, found in sorted(emails + phones)]


def contains_pii(text: str) -> bool:
    """Whether `redact` would change the text."""
    return redact(text) != text


class RedactingFilter(logging.Filter):
    """Redacts the message, its arguments and any traceback of every record it passes.

    The message is formatted before it is redacted: a CPR number split between the
    template and an argument, or passed as an int, is caught that way. The record then
    carries the finished message and no arguments. Install it on each handler: a filter
    on a logger does not see records propagated from its children.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # The formatter would fail too and print the raw arguments to stderr.
            message = f"{record.msg} (arguments that do not fit the message: {record.args!r})"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the raw traceback is never printed.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
