"""Redaction of personal data (CPR numbers, phone numbers, e-mail addresses, bank accounts) in citizens' text.

Everything a citizen writes passes through `redact` before it is stored, logged or sent
to the NLU. The rules lean towards redacting: a lost digit in a log line is cheap, a
leaked CPR number is not.

How the text is read: a folded copy is matched, the original is cut. Folding maps every
Unicode decimal digit to its ASCII digit (full-width "０１０１９０", Arabic-Indic, …), every
dash to "-", every space to " ", full-width punctuation and letters to ASCII, and drops
invisible format characters (zero-width spaces, soft hyphens), so "０１０１９０－１２３４" and
"0101\u200b90-1234" are read as "010190-1234".

What counts as what (the decisions, in one place):

- CPR: six digits (optionally in pairs "01 01 90", "01-01-90", "01.01.90") and four
  (optionally "12 34"). Six digits in one run, a hyphen, dash or slash (spaced or not)
  and four digits ("010190-1234", "010190/1234", "010190 - 1234") make a CPR number
  whatever the date: a typo in the date still leaves someone's CPR number, and nothing
  else Danes write has that shape. Otherwise ("0101901234", "010190 1234",
  "01.01.90-1234") the six digits must be a real calendar date, because ten bare digits
  are also account numbers, and pairs joined by dots or dashes are also times
  ("6.00-13.00 – 1900"). The modulus-11 check is never
  consulted: CPR numbers issued since 2007 need not satisfy it.
- Phone: eight digits as people group them ("12345678", "12 34 56 78", "1234 5678",
  "1234-5678", "20-30-40-50", "12.34.56.78", "123 45 678"), with or without +45 / 0045
  (spaced or hyphenated), and any "+" number of 7-15 digits. Right after a cue ("tlf",
  "tlf.nr:", "telefon", "mobil", "mob.") the number is a phone number even when glued to
  the cue ("tlf12345678"). "1990-2025" (two years joined by a dash) is a period, not a
  phone number, unless a cue says so.
- Bank account ([KONTO]): a registration number and an account number ("1234-1234567890",
  "1234 1234567890", "reg.nr. 1234 konto 1234567890", "kontonr. 1234567890"), and IBANs
  of any country, spaced or not ("DK50 0040 0440 1162 43"). An amount is never part of one:
  not four digits right after "kr." or "DKK" ("kr. 1000 - 2000000000"), nor digits right
  before "kr." ("2025 - 1234567 kr.").
- E-mail addresses.

Dates ("01-01-2025", "1.1.2025"), prices ("1.234,50 kr."), postcodes ("8000 Aarhus"), times
("8.00-16.00", "kl. 10.30"), case numbers ("SB-C3CNQ2", "sag 2024/12345678"), years and
house numbers are left alone. So are UUIDs ("5a283392-5705-4368-9cd2-7fca72686ec6", the form
of Muni's conversation and call ids): one in 80 holds a run of digits of a CPR number's or a
phone number's shape, and a conversation id must read the same in every log line.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_PLACEHOLDER",
    "CPR_PLACEHOLDER",
    "EMAIL_PLACEHOLDER",
    "PHONE_PLACEHOLDER",
    "RedactingFilter",
    "contact_details",
    "contains_pii",
    "fold",
    "redact",
]

CPR_PLACEHOLDER = "[CPR]"
PHONE_PLACEHOLDER = "[TELEFON]"
EMAIL_PLACEHOLDER = "[EMAIL]"
ACCOUNT_PLACEHOLDER = "[KONTO]"

# Where a match has been cut out of the folded text: neither a word character nor a digit
# nor a separator, like the "]" that ends a placeholder.
_CUT = "\x00"
_UUID = re.compile(
    r"(?<![0-9a-z-]) [0-9a-f]{8} - [0-9a-f]{4} - [0-9a-f]{4} - [0-9a-f]{4} - [0-9a-f]{12} (?![0-9a-z-])",
    re.VERBOSE | re.ASCII | re.IGNORECASE,
)


@functools.cache
def _fold_char(char: str) -> str:
    """One character as the patterns read it; "" for an invisible one."""
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(char)
    if category == "Pd" or char == "\u2212":  # dashes, and the minus sign
        return "-"
    if category == "Zs":
        return " "
    if category == "Cf":  # zero-width space and joiners, soft hyphen, byte-order mark
        return ""
    compat = unicodedata.normalize("NFKC", char)
    return compat if len(compat) == 1 and compat.isascii() else char


def fold(text: str) -> str:
    """The text as redaction reads it (ASCII digits, dashes and spaces; no invisible characters)."""
    return text if text.isascii() else "".join(map(_fold_char, text))


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original it came from."""
    if text.isascii():
        return text, list(range(len(text) + 1))
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        if folded:
            chars.append(folded)
            positions.append(index)
    positions.append(len(text))
    return "".join(chars), positions


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

# An IBAN: country, check digits, then 11 to 30 letters and digits, in groups of four or
# not. A bank code may be letters ("GB82 WEST …"); any later group holds a digit, so a
# word after the number ("… 7034 ring") is never taken for one. Too few digits in all
# and it is a word, not an account (checked in `_find`).
_IBAN = re.compile(
    r"""
    (?<![\w-]) [A-Za-z]{2} [0-9]{2}
    \ ? [A-Za-z0-9]{4}
    (?: \ ? (?=[A-Za-z]{0,3}[0-9]) [A-Za-z0-9]{4} ){1,6}
    (?: \ ? (?=[A-Za-z]{0,2}[0-9]) [A-Za-z0-9]{1,3} )?
    (?![\w-])
    """,
    re.VERBOSE | re.ASCII,
)
_IBAN_MIN_DIGITS = 8

# DDMMYY as a real calendar date, optionally in pairs. Checked here rather than in Python
# so that an invalid date never consumes digits that a valid CPR number starting later
# could have used. The century digit is not consulted: 29 February is accepted whenever
# 19YY or 20YY is a leap year, which is exactly when YY is divisible by 4.
_PAIR = r"[ .-]?"
_CPR_DATE = rf"""
    (?:
        (?:0[1-9]|1[0-9]|2[0-8]) {_PAIR} (?:0[1-9]|1[0-2])      {_PAIR} [0-9]{{2}}
      | (?:29|30)                {_PAIR} (?:0[13-9]|1[0-2])     {_PAIR} [0-9]{{2}}
      | 31                       {_PAIR} (?:0[13578]|1[02])     {_PAIR} [0-9]{{2}}
      | 29                       {_PAIR} 02 {_PAIR} (?:[02468][048]|[13579][26])
    )
"""
_SERIAL = r"[0-9]{2} \ ? [0-9]{2} (?![0-9])"
_CPR = rf"""
    (?<![0-9+]) (?<![0-9][.,/])   # "sag 2024/123456 - 2025" is a case number
    (?:
        [0-9]{{6}} \ * [-/] \ * {_SERIAL}                # six digits, a separator: the shape is enough
      | {_CPR_DATE} (?: \ * [-/] \ * | \ ? ) {_SERIAL}   # otherwise the date must be real
    )
"""

# A registration number (4 digits) and an account number (7-10 digits), or either after a
# cue; the cue stays in the text. A CPR number after a cue is still a CPR number.
_ACCOUNT_CUE = r"(?i: reg (?: istrerings )? (?: \.? \ ? (?: nr | nummer ) )? \.? \ * :? \ * )"
_ACCOUNT_NUMBER_CUE = r"(?i: konto (?: nummer | nr )? \.? \ * :? \ * )"
_ACCOUNT = r"""
    (?<![\w+-]) (?<![0-9][.,/])
    (?<!(?i:kr)\.\ ) (?<!(?i:kr)\ ) (?<!(?i:dkk)\ )   # "kr. 1000 - …" is an amount
    (?! 0045 [\ -]? [0-9]{8} (?![0-9]) )   # "0045-12345678" is a phone number
    [0-9]{4} (?: \ * - \ * | \ ) [0-9]{7,10} (?![0-9])
    (?! \ ? (?i: kr | dkk ) \b )                         # "2025 - 1234567 kr." is an amount
"""
_CUED_ACCOUNT = rf"""
    (?<![\w])
    (?:
        {_ACCOUNT_CUE} (?! {_CPR} )
        (?P<reg> [0-9]{{4}} (?: ,? \ * (?: og \ + )? (?: {_ACCOUNT_NUMBER_CUE} | - \ * )? [0-9]{{6,10}} )? )
      | {_ACCOUNT_NUMBER_CUE} (?! {_CPR} ) (?P<konto> [0-9]{{6,10}} )
    )
    (?![0-9]) (?! - [0-9] )   # "reg. 1900-1901" is a period
"""

# A Danish number is eight digits, grouped the ways people write them. A digit, letter,
# "+" or "-" right before it, or a decimal/date separator between it and another digit,
# makes it part of something else (an amount, a reference such as BK-12345678). Dots and
# dashes only in the even groupings: "01-12-2026" and "2026-12-01" are dates.
_DK_LOCAL = r"""
    (?:
        [0-9]{8}
      | [0-9]{4} \  [0-9]{4}
      | (?! (?:19|20)[0-9]{2} - (?:19|20)[0-9]{2} (?![0-9]) ) [0-9]{4} - [0-9]{4}
      | [0-9]{2} \  [0-9]{2} \  [0-9]{2} \  [0-9]{2}
      | [0-9]{2} -  [0-9]{2} -  [0-9]{2} -  [0-9]{2}
      | [0-9]{2} \. [0-9]{2} \. [0-9]{2} \. [0-9]{2}
      | [0-9]{2} \  [0-9]{2} \  [0-9]{4}
      | [0-9]{4} \  [0-9]{2} \  [0-9]{2}
      | [0-9]{3} \  [0-9]{2} \  [0-9]{3}
      | [0-9]{2} \  [0-9]{3} \  [0-9]{3}
    )
"""
# After a cue, a year-like period is still a phone number.
_DK_LOCAL_AFTER_CUE = _DK_LOCAL.replace(r"(?! (?:19|20)[0-9]{2} - (?:19|20)[0-9]{2} (?![0-9]) )", "")
# "45 12 34 56 78" is read as country code and number; otherwise "45" would be taken as
# the first pair and "78" left behind.
_DK_COUNTRY_CODE = r"(?: (?: \+45 | 0045 | \(\+45\) | 45(?=\ ) ) [\ -]? )"
_PHONE_END = r"(?! \w | [.,/-][0-9] )"
# Any international number: "+", then 7 to 15 digits with single spaces or hyphens between.
_INTERNATIONAL_PHONE = rf"""
    \+ [0-9] (?: [\ -]? [0-9] ){{6,14}}
    {_PHONE_END}
"""
_PHONE_CUE = r"""(?i:
    (?: tlf | tel | telefon | mobil | mob ) (?: \.? \ ? (?: nr | nummer ) )? \.? \ * :? \ *
)"""
_PHONE = rf"""
    (?<![\w+-]) (?<![0-9][.,/])
    (?: (?<![\w+]) {_INTERNATIONAL_PHONE} | {_DK_COUNTRY_CODE}? {_DK_LOCAL} {_PHONE_END} )
"""
_CUED_PHONE = rf"""
    (?<![^\W\d])
    {_PHONE_CUE} (?! {_CPR} )
    (?P<cued_phone> \+ [0-9] (?: [\ -]? [0-9] ){{6,14}} | {_DK_COUNTRY_CODE}? {_DK_LOCAL_AFTER_CUE} )
    {_PHONE_END}
"""

# One left-to-right pass. At any position an account beats a CPR number, which beats a
# phone number, so "1234-0101901234" is one account and a CPR number never turns into a
# phone number plus leftover digits; a number that starts further left ("+46 …") is taken
# whole. A "+45" number longer than eight digits is still a "+" number.
_NUMBER = re.compile(
    rf"""
      {_CUED_ACCOUNT}
    | (?P<account> {_ACCOUNT} )
    | (?P<cpr> {_CPR} )
    | {_CUED_PHONE}
    | (?P<phone> {_PHONE} )
    """,
    re.VERBOSE | re.ASCII,
)
_GROUP_PLACEHOLDERS = {
    "reg": ACCOUNT_PLACEHOLDER,
    "konto": ACCOUNT_PLACEHOLDER,
    "account": ACCOUNT_PLACEHOLDER,
    "cpr": CPR_PLACEHOLDER,
    "cued_phone": PHONE_PLACEHOLDER,
    "phone": PHONE_PLACEHOLDER,
}


@dataclass(frozen=True)
class _Found:
    start: int  # in the folded text
    end: int
    placeholder: str


def _cut(folded: str, found: list[_Found]) -> str:
    if not found:
        return folded
    chars = list(folded)
    for item in found:
        chars[item.start : item.end] = _CUT * (item.end - item.start)
    return "".join(chars)


def _find(folded: str) -> list[_Found]:
    """Every piece of personal data in the folded text, in order, without overlaps (UUIDs kept whole)."""
    folded = _cut(folded, [_Found(m.start(), m.end(), "") for m in _UUID.finditer(folded)])
    emails = [_Found(m.start(), m.end(), EMAIL_PLACEHOLDER) for m in _EMAIL.finditer(folded)]
    rest = _cut(folded, emails)
    ibans = [
        _Found(m.start(), m.end(), ACCOUNT_PLACEHOLDER)
        for m in _IBAN.finditer(rest)
        if sum(char.isdigit() for char in m.group(0)) >= _IBAN_MIN_DIGITS
    ]
    rest = _cut(rest, ibans)
    numbers = []
    for match in _NUMBER.finditer(rest):
        for group, placeholder in _GROUP_PLACEHOLDERS.items():
            if match.group(group) is not None:
                numbers.append(_Found(match.start(group), match.end(group), placeholder))
                break
    return sorted(emails + ibans + numbers, key=lambda item: item.start)


def redact(text: str) -> str:
    """Replace CPR, phone and account numbers and e-mail addresses with placeholders."""
    folded, positions = _folded_with_positions(text)
    found = _find(folded)
    if not found:
        return text
    parts = []
    kept_from = 0
    for item in found:
        start, end = positions[item.start], positions[item.end - 1] + 1
        parts.append(text[kept_from:start])
        parts.append(item.placeholder)
        kept_from = end
    parts.append(text[kept_from:])
    return "".join(parts)


def contact_details(text: str) -> list[str]:
    """The e-mail addresses and phone numbers in the text (never CPR or account numbers), in order.

    Folded: a number written in full-width digits comes back in ASCII digits.
    """
    folded = fold(text)
    return [
        folded[item.start : item.end]
        for item in _find(folded)
        if item.placeholder in (EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER)
    ]


def contains_pii(text: str) -> bool:
    """Whether `redact` would change the text."""
    return bool(_find(fold(text)))


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
