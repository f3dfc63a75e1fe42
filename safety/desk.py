"""The safety desk the conversation core calls: the citizen's language, the screen, the answer, the notice."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from muni.replies import Message
from safety.answers import SafetyTexts
from safety.language import LanguageDetector, default_detector
from safety.screen import Finding, Screen, default_screen, load_screen


@dataclass(frozen=True)
class Screened:
    finding: Finding
    messages: list[Message]  # the answer: the citizen's language (when not Danish), then Danish


class SafetyDesk:
    """Everything the conversation core needs before it asks for an understanding."""

    def __init__(self, screen: Screen, texts: SafetyTexts, detector: LanguageDetector) -> None:
        self._screen = screen
        self._texts = texts
        self._detector = detector

    def language(self, text: str, current: str) -> str:
        return self._detector.detect(text, current)

    def screen(self, text: str, language: str, municipality: str) -> Screened | None:
        """The safety answer when `text` (redacted) is an emergency or a crisis of life, else None."""
        finding = self._screen.check(text)
        if finding is None:
            return None
        return Screened(finding, self._texts.answer(finding.category, language, municipality))

    def notice(self, language: str, centre_phone: str) -> Message | None:
        """Where to get help in a language the assistant does not answer in (None for Danish and English)."""
        return self._texts.notice(language, centre_phone)


def load_desk(*, embeddings: bool = True) -> SafetyDesk:
    """A desk on the repository's data; `embeddings=False` leaves the embedding check out (patterns only)."""
    screen = default_screen() if embeddings else load_screen(embeddings=False)
    return SafetyDesk(screen, SafetyTexts.load(), default_detector())


@functools.cache
def default_desk() -> SafetyDesk:
    """One desk per process: loading embeds the examples (about a second) and lingua's models."""
    return load_desk()
