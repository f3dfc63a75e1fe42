"""Is this a question about the crisis? Recognised by the gateway itself, so the answer never waits for Rasa."""

from __future__ import annotations

import re
import unicodedata

# Words citizens use about the crises the consortium plans for (flood, storm, water, power, cyber attack),
# and the plain "what is happening"; only asked while a crisis is on.
_PATTERNS = [
    r"\bforurene", r"\bdrikkevand", r"\bkog(e|er)? (vandet|vand)\b", r"\bvandet\b.*\b(drikke|sikkert|farligt|rent)\b",
    r"\bdrikke vandet\b", r"\bsandsæk", r"\boversvøm", r"\bstormflod", r"\bstorm\b", r"\bskybrud", r"\bevakuer",
    r"\bstrøm(men)? er (gået|væk)|\bstrømsvigt|\bstrømafbrydelse", r"\bcyberangreb|\bhacke",
    r"\bberedskab", r"\bkrise", r"\bhvad sker der\b", r"\bhvad er der sket\b", r"\bhvad foregår\b",
    r"\bwhat('s| is) (happening|going on)\b", r"\bwhat happened\b", r"\bcontaminat", r"\bdrinking water\b",
    r"\bsandbag", r"\bflood", r"\bevacuat", r"\bemergency information\b", r"\bcrisis\b",
]  # fmt: skip
_QUESTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def about_the_crisis(text: str) -> bool:
    return _QUESTION.search(_normal(text)) is not None
