"""Text for the ear and from the mouth: answers rewritten to be read aloud, speech redacted."""

from __future__ import annotations

import re

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
_WEEKDAY_RANGE = re.compile(rf"\b({_WEEKDAYS})\s*[–—-]\s*({_WEEKDAYS})\b", re.IGNORECASE)
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
_ABBREVIATION = re.compile(
    r"(?<![\w.])(" + "|".join(map(re.escape, sorted(_ABBREVIATIONS, key=len, reverse=True))) + r")(?=[\s:;,]|$)",
    re.IGNORECASE,
)


def _spelled_out(match: re.Match[str]) -> str:
    written = match.group(1)
    spoken = _ABBREVIATIONS[written.lower()]
    return spoken[0].upper() + spoken[1:] if written[0].isupper() else spoken


def for_the_ear(text: str) -> str:
    """The written answer as it should be heard.

    No URLs, emojis, markup or "(demo-data)" read aloud; brackets and dashes between words
    become pauses; ranges of numbers or weekdays are read with "til"; abbreviations
    ("kl.", "nr.", "tlf.") in full; whole hours without ".00"; line breaks become sentences.
    The written text is left as it is: this is only what the IVR says.
    """
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _EMOJI.sub("", text)
    text = _MARKUP.sub(" ", text)
    text = _DEMO_MARK.sub("", text)
    text = _DAY_MONTH.sub(lambda m: f"{int(m.group(1))}. {_MONTHS[int(m.group(2)) - 1]}", text)
    text = _WRITE.sub(lambda m: "Sig" if m.group(0)[0] == "S" else "sig", text)  # the caller speaks
    text = _ABBREVIATION.sub(_spelled_out, text)
    text = _WHOLE_HOUR.sub(r"\1", text)
    text = _WEEKDAY_RANGE.sub(r"\1 til \2", text)
    text = _NUMBER_RANGE.sub(" til ", text)
    text = _DASH.sub(", ", text)
    text = _BRACKETS.sub(r", \1, ", text)
    text = _LOOSE_COMMAS.sub("", _SPACES.sub(" ", text))
    lines = [_SPACES.sub(" ", line).strip(" :,") for line in text.splitlines()]
    sentences = [line if line.endswith((".", "?", "!")) else line + "." for line in lines if line]
    return " ".join(sentences)
