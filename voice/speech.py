"""Text for the ear and from the mouth: answers rewritten to be read aloud, speech redacted."""

from __future__ import annotations

import re
from collections.abc import Callable

from muni.privacy import redact

NUMBER_PLACEHOLDER = "[NUMMER]"

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0000fe0f\U0000200d\U00002b00-\U00002bff\U0001f1e6-\U0001f1ff]"
)
_MARKUP = re.compile(r"[*_#`>|]+")
_SPACES = re.compile(r"[ \t]+")
_WRITE = re.compile(r"\b[Ss]kriv\b")
_DAY_MONTH = re.compile(r"\b(0?[1-9]|[12][0-9]|3[01])/(0?[1-9]|1[0-2])\b(?!/)")
_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Danish number words as speech recognition may leave them: digit by digit ("nul et nul et ni
# nul ...") or, as Danes read phone and CPR numbers, in pairs ("enogtyve fireogtredive ...").
_UNITS = {
    "nul": "0", "en": "1", "et": "1", "én": "1", "to": "2", "tre": "3", "fire": "4",
    "fem": "5", "seks": "6", "syv": "7", "otte": "8", "ni": "9",
}  # fmt: skip
_TEENS = {
    "ti": "10", "elleve": "11", "tolv": "12", "tretten": "13", "fjorten": "14", "femten": "15",
    "seksten": "16", "sytten": "17", "atten": "18", "nitten": "19",
}  # fmt: skip
_TENS = {
    "tyve": "2", "tredive": "3", "tredve": "3", "fyrre": "4", "halvtreds": "5", "tres": "6",
    "halvfjerds": "7", "firs": "8", "halvfems": "9",
}  # fmt: skip
_NUMBER_WORDS = {
    **_UNITS,
    **_TEENS,
    **{word: tens + "0" for word, tens in _TENS.items()},
    **{
        f"{unit}og{word}": tens + digit
        for unit, digit in _UNITS.items()
        if digit != "0" and unit != "et"
        for word, tens in _TENS.items()
    },
}
_TOKEN = r"(?:[0-9]{1,4}|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"
# A run of at least four number tokens separated by spaces, hyphens or commas that makes at
# least eight digits: spoken digits (a phone number read in pairs is four tokens).
_SPOKEN_RUN = re.compile(rf"(?<![\w+]){_TOKEN}(?:[ ,\-\xa0]+{_TOKEN}){{3,}}(?!\w)", re.IGNORECASE)
_LONG_DIGITS = re.compile(r"(?<![0-9])[0-9]{8,}(?![0-9])")


def normalise_speech(text: str) -> str:
    """Join spoken digit runs into numbers; a long number redaction would not recognise goes.

    The result is what the conversation service gets: it redacts CPR and phone numbers
    itself (and seals a phone number for a booking confirmation), now that they are
    written as numbers.
    """

    def join(match: re.Match[str]) -> str:
        tokens = re.split(r"[ ,\-\xa0]+", match.group(0))
        digits = "".join(_NUMBER_WORDS.get(token.lower(), token) for token in tokens)
        return digits if len(digits) >= 8 else match.group(0)

    def unknown_number(match: re.Match[str]) -> str:
        return match.group(0) if redact(match.group(0)) != match.group(0) else NUMBER_PLACEHOLDER

    return _LONG_DIGITS.sub(unknown_number, _SPOKEN_RUN.sub(join, text))


def redact_speech(text: str) -> str:
    """What may be stored or logged of a speech result."""
    return redact(normalise_speech(text))


_WEEKDAYS = "mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|hverdage"
_WEEKDAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays"
# An English answer may carry a municipality's Danish values ("mandag–fredag 10.00–17.00"): both are ranges.
_WEEKDAY_RANGE = re.compile(rf"\b({_WEEKDAYS}|{_WEEKDAYS_EN})\s*[–—-]\s*({_WEEKDAYS}|{_WEEKDAYS_EN})\b", re.IGNORECASE)
_NUMBER_RANGE = re.compile(r"(?<=[0-9])\s*[–—-]\s*(?=[0-9])")
# A dash between words is a pause, not a range: "Borgerservice – Aarhus Kommune".
_DASH = re.compile(r"(?:[ \t]*[–—]|[ \t]+-(?=[ \t]))+[ \t]*")
# Whole hours read as hours: "kl. 16.00" is "klokken 16", "8.00–16.00" is "8 til 16".
_WHOLE_HOUR = re.compile(r"\b([01]?[0-9]|2[0-4])[.:]00\b(?![.,]?[0-9])")
# A note that a value is not confirmed yet is for the eye (knowledge/guides.py marks lines with it).
_DEMO_MARK = re.compile(r"[ \t]*\(demo-?data\)", re.IGNORECASE)
_BRACKETS = re.compile(r"[ \t]*\(([^()\n]*)\)")
_LOOSE_COMMAS = re.compile(r"[ \t]*,(?:[ \t]*,)*[ \t]*(?=[,.:;?!]|$)|^[ \t]*,[ \t]*", re.MULTILINE)
# Abbreviations read in full; the first letter keeps its case ("Tlf." is "Telefon").
_ABBREVIATIONS = {
    "kl.": "klokken", "nr.": "nummer", "tlf.": "telefon", "tlf.nr.": "telefonnummer", "f.eks.": "for eksempel",
    "ca.": "cirka", "evt.": "eventuelt", "bl.a.": "blandt andet", "inkl.": "inklusive", "ekskl.": "eksklusive",
    "osv.": "og så videre", "dvs.": "det vil sige", "mht.": "med hensyn til", "pga.": "på grund af",
    "jf.": "jævnfør", "stk.": "stykke", "pkt.": "punkt", "hhv.": "henholdsvis",
}  # fmt: skip
# In English, and the Danish ones a municipality's values may bring into an English answer.
_ABBREVIATIONS_EN = {
    "e.g.": "for example", "i.e.": "that is", "approx.": "approximately", "incl.": "including",
    "excl.": "excluding", "etc.": "and so on", "tel.": "telephone", "kr.": "kroner",
    "kl.": "at", "nr.": "number", "tlf.": "telephone", "tlf.nr.": "phone number", "fx": "for example",
}  # fmt: skip
# "No." only before a number: "the answer is no." is not a number.
_NUMBER_EN = re.compile(r"\b([Nn])o\.[ \t]*(?=[0-9])")
# 24-hour times read the English way: "16:00" is "4 p.m.", "8:30" is "8:30 a.m."; the Danish "16.30" too
# (a municipality's values): Danish prices and amounts use a decimal comma.
_DOUBLE_STOP = re.compile(r"\b([ap]\.m\.)\.")
_CLOCK_EN = re.compile(r"\b([01]?[0-9]|2[0-4])[:.]([0-5][0-9])\b(?![.,]?[0-9])")


def _abbreviations(table: dict[str, str]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w.])(" + "|".join(map(re.escape, sorted(table, key=len, reverse=True))) + r")(?=[\s:;,]|$)",
        re.IGNORECASE,
    )


_ABBREVIATION = _abbreviations(_ABBREVIATIONS)
_ABBREVIATION_EN = _abbreviations(_ABBREVIATIONS_EN)


def _spelled_out(table: dict[str, str]) -> Callable[[re.Match[str]], str]:
    def spelled_out(match: re.Match[str]) -> str:
        written = match.group(1)
        spoken = table[written.lower()]
        return spoken[0].upper() + spoken[1:] if written[0].isupper() else spoken

    return spelled_out


def _english_clock(match: re.Match[str]) -> str:
    hour, minutes = int(match.group(1)), match.group(2)
    if minutes == "00" and hour in (0, 24):
        return "midnight"
    if minutes == "00" and hour == 12:
        return "noon"
    suffix = "a.m." if hour < 12 or hour == 24 else "p.m."
    return f"{hour % 12 or 12}{'' if minutes == '00' else ':' + minutes} {suffix}"


def for_the_ear(text: str, language: str = "da") -> str:
    """The written answer as it should be heard, in Danish or (language "en") English.

    No URLs, emojis, markup or "(demo-data)" read aloud; brackets and dashes between words
    become pauses; ranges of numbers or weekdays are read with "til" ("to" in English);
    abbreviations ("kl.", "nr.", "tlf."; "e.g.", "no. 5") in full; whole hours without ".00"
    (in English, times as "4 p.m."); line breaks become sentences.
    The written text is left as it is: this is only what the IVR says.
    """
    if language == "en":
        return _for_the_english_ear(text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _EMOJI.sub("", text)
    text = _MARKUP.sub(" ", text)
    text = _DEMO_MARK.sub("", text)
    text = _DAY_MONTH.sub(lambda m: f"{int(m.group(1))}. {_MONTHS[int(m.group(2)) - 1]}", text)
    text = _WRITE.sub(lambda m: "Sig" if m.group(0)[0] == "S" else "sig", text)  # the caller speaks
    text = _ABBREVIATION.sub(_spelled_out(_ABBREVIATIONS), text)
    text = _WHOLE_HOUR.sub(r"\1", text)
    text = _WEEKDAY_RANGE.sub(r"\1 til \2", text)
    text = _NUMBER_RANGE.sub(" til ", text)
    return _pauses_and_sentences(text)


def _for_the_english_ear(text: str) -> str:
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _EMOJI.sub("", text)
    text = _MARKUP.sub(" ", text)
    text = _DEMO_MARK.sub("", text)
    text = _DAY_MONTH.sub(lambda m: f"{int(m.group(1))} {_MONTHS_EN[int(m.group(2)) - 1]}", text)
    text = _NUMBER_EN.sub(lambda m: "Number " if m.group(1) == "N" else "number ", text)
    text = _ABBREVIATION_EN.sub(_spelled_out(_ABBREVIATIONS_EN), text)
    text = _WEEKDAY_RANGE.sub(r"\1 to \2", text)
    text = _NUMBER_RANGE.sub(" to ", text)  # before the times: "8:00–16:00" is "8 a.m. to 4 p.m."
    text = _CLOCK_EN.sub(_english_clock, text)
    text = _DOUBLE_STOP.sub(r"\1", text)  # "at 4 p.m." ends the sentence once
    return _pauses_and_sentences(text)


def _pauses_and_sentences(text: str) -> str:
    """Dashes between words and brackets as pauses; each line a sentence."""
    text = _DASH.sub(", ", text)
    text = _BRACKETS.sub(r", \1, ", text)
    text = _LOOSE_COMMAS.sub("", _SPACES.sub(" ", text))
    lines = [_SPACES.sub(" ", line).strip(" :,") for line in text.splitlines()]
    sentences = [line if line.endswith((".", "?", "!")) else line + "." for line in lines if line]
    return " ".join(sentences)
