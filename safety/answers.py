"""What the citizen is told: the right number first, in Danish and in their own language (safety/answers.yml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.safety import SafetyLines
from muni.replies import Link, Message
from safety.language import ANSWERED, DEFAULT_LANGUAGE, LANGUAGES
from safety.screen import CATEGORIES, Category

ANSWERS_PATH = Path(__file__).with_name("answers.yml")
TOPIC = "emergency"
LINKS: Mapping[str, list[Link]] = {
    "suicide": [{"title": "Livslinien", "url": "https://www.livslinien.dk"}],
}


@dataclass(frozen=True)
class SafetyTexts:
    answers: Mapping[str, Mapping[str, str]]  # category -> language -> text
    notices: Mapping[str, str]  # language -> the notice for languages the assistant does not answer in
    lines: SafetyLines

    @classmethod
    def load(cls, path: Path = ANSWERS_PATH, lines: SafetyLines | None = None) -> SafetyTexts:
        """Refuse a file that lacks a category, a language or a notice (a citizen must never get nothing)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        answers, notices = data["answers"], data["notice"]
        missing = [f"{c}/{lang}" for c in CATEGORIES for lang in LANGUAGES if lang not in answers.get(c, {})]
        missing += [f"notice/{lang}" for lang in LANGUAGES if lang not in ANSWERED and lang not in notices]
        if missing:
            raise ValueError(f"{path} lacks texts for: {', '.join(missing)}")
        return cls(answers=answers, notices=notices, lines=lines or SafetyLines.load())

    def answer(self, category: Category, language: str, municipality: str | None) -> list[Message]:
        """The answer in Danish, preceded by the citizen's own language when that is not Danish."""
        values = {
            "doctor_line": self.lines.doctor_line(municipality),
            "doctor_number": self.lines.doctor_number(municipality),
        }
        texts = self.answers[category]
        messages: list[Message] = []
        if language != DEFAULT_LANGUAGE and language in texts:
            messages.append({"text": texts[language].format(**values)})
        messages.append({"text": texts[DEFAULT_LANGUAGE].format(**values)})
        if category in LINKS:
            messages[-1]["links"] = list(LINKS[category])
        return messages

    def notice(self, language: str, centre_phone: str) -> Message | None:
        """For a language the assistant does not answer in: where to get help in it; None for da and en."""
        if language in ANSWERED or language not in self.notices:
            return None
        return {"text": self.notices[language].format(centre_phone=centre_phone)}
