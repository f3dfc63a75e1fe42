"""The language a citizen writes in, offline (lingua, restricted to the eight languages of issue 17)."""

from __future__ import annotations

import functools
import re
from typing import Any

from safety.normalise import words

LANGUAGES = ("da", "en", "de", "pl", "uk", "ar", "tr", "so")
DEFAULT_LANGUAGE = "da"
# Languages the assistant answers in; the others get the safety answer and the interpreter notice.
ANSWERED = frozenset({"da", "en"})
MIN_WORDS = 3  # fewer words of two letters or more ("ok", "tak", "hello", "/inform{…}") keep the conversation's language
MIN_CONFIDENCE = 0.6  # lingua's relative confidence of the likeliest language
# Leaving Danish or English for a language the assistant does not answer in costs the citizen an
# answer (they get the interpreter notice instead): that switch needs more confidence.
MIN_CONFIDENCE_UNANSWERED = 0.9
# Letters (and scripts) that, among the eight languages, only one writes: æ ø å only Danish, and so on.
_OWN_LETTERS = (
    ("da", re.compile(r"[æøåÆØÅ]")),
    ("uk", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("pl", re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")),
    ("tr", re.compile(r"[ğşıĞŞİ]")),
)
# English words no other of the eight languages writes as a word, common in any question: a message with two
# of them is English, whatever a loan word makes the trigrams say ("what is the price of kindergarten": German).
_ENGLISH_WORDS = frozenset({"the", "what", "how", "does", "my", "you", "where", "when", "who", "which", "why", "should", "of"})
MIN_ENGLISH_WORDS = 2
# What redaction puts in place of personal data ("[TELEFON]", "[CPR]") is not the citizen's language.
_PLACEHOLDER = re.compile(r"\[[A-ZÆØÅ_-]+\]")


class LanguageDetector:
    """lingua in low-accuracy mode (trigram models, about 40 MB) with the eight models loaded at once."""

    def __init__(self) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]
        self._detector: Any = (
            LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().with_low_accuracy_mode().build()
        )

    def detect(self, text: str, current: str = DEFAULT_LANGUAGE) -> str:
        """The language of `text`, or `current` when the text is short or the guess unsure.

        A letter or script only one of the eight languages writes decides at once; otherwise
        lingua decides a message of MIN_WORDS words or more when it is confident enough.
        """
        if text.lstrip().startswith("/"):
            return current  # a button's payload (an intent), not the citizen's words
        text = _PLACEHOLDER.sub(" ", text)
        for language, letters in _OWN_LETTERS:  # certain even in one word
            if letters.search(text):
                return language
        if sum(1 for word in words(text) if sum(c.isalpha() for c in word) >= 2) < MIN_WORDS:
            return current
        values = self._detector.compute_language_confidence_values(text)
        if not values or values[0].value < MIN_CONFIDENCE:
            return current
        code = str(values[0].language.iso_code_639_1.name).lower()
        if code not in LANGUAGES:
            return current
        if code not in ANSWERED and values[0].value < MIN_CONFIDENCE_UNANSWERED:
            return current
        if code not in ANSWERED and len(_ENGLISH_WORDS.intersection(words(text.casefold()))) >= MIN_ENGLISH_WORDS:
            return "en"
        return code


@functools.cache
def default_detector() -> LanguageDetector:
    """One detector per process (about 0.3 s to load)."""
    return LanguageDetector()
