"""One normal form for messages, patterns and examples: NFKC, casefold, no diacritics, plain letters."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into a base letter and a mark.
_PLAIN = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ı": "i",
        "ß": "ss",
        # Arabic: one alef, one yeh, heh for teh marbuta, no tatweel.
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ـ": "",
        # Apostrophes inside words (Ukrainian б'є, Somali la'aan) count as nothing.
        "'": "",
        "’": "",
        "ʼ": "",
        "`": "",
    }
)
_NOT_WORD = re.compile(r"[^\w]+")
_REPEATS = re.compile(r"(\w)\1{2,}")


def normalise(text: str) -> str:
    """`text` as words of plain lower-case letters and digits, separated by single spaces.

    NFKC first (full-width and compatibility forms), casefold, then diacritics
    stripped (NFKD without combining marks, Arabic harakat included), letters
    without a decomposition mapped by hand (æ, ø, ł, ı, ß), and a letter repeated
    three times or more ("hjææælp") cut to one.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _REPEATS.sub(r"\1", unicodedata.normalize("NFC", stripped)).translate(_PLAIN)
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def words(text: str) -> list[str]:
    """The words of `text` in normal form."""
    return normalise(text).split()
