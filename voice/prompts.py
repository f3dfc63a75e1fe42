"""The IVR's prompts, Danish in prompts.yml and English in prompts_en.yml (data, not code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

import yaml

PROMPTS_FILE = Path(__file__).resolve().parent / "prompts.yml"
PROMPTS_EN_FILE = Path(__file__).resolve().parent / "prompts_en.yml"
MENUS_SECTION = "menus"
# Said only on a Danish call or only to staff: the agent's whisper, the crisis's English line after the Danish.
DANISH_ONLY = frozenset({"whisper", "whisper_unknown_topic", "whisper_english", "crisis_message_en"})


class PromptError(ValueError):
    """prompts.yml lacks a prompt, or a prompt lacks a value it needs."""


@dataclass(frozen=True)
class Prompts:
    texts: Mapping[str, str]

    @classmethod
    def load(cls, path: Path = PROMPTS_FILE) -> Prompts:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise PromptError(f"{path}: expected a mapping of prompt names to texts")
        texts = {name: text for name, text in raw.items() if name != MENUS_SECTION}  # menus: voice/menus.py
        if not all(isinstance(text, str) for text in texts.values()):
            raise PromptError(f"{path}: expected a mapping of prompt names to texts")
        return cls(texts=texts)

    def check_translation(self, translation: Prompts, path: Path) -> None:
        """Refuse a translation that lacks a prompt, or asks for a value the Danish prompt is not given."""
        missing = sorted(set(self.texts) - DANISH_ONLY - set(translation.texts))
        unknown = [
            f"{name} ({', '.join(sorted(extra))})"
            for name, text in translation.texts.items()
            if name in self.texts and (extra := _fields(text) - _fields(self.texts[name]))
        ]
        if missing:
            raise PromptError(f"{path}: missing prompts {', '.join(missing)}")
        if unknown:
            raise PromptError(f"{path}: values the IVR does not give: {'; '.join(unknown)}")

    def __call__(self, name: str, **values: str) -> str:
        try:
            return self.texts[name].format(**values)
        except KeyError as error:
            raise PromptError(f"prompt {name!r}: missing {error}") from None


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field}
