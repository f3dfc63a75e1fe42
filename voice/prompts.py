"""The IVR's Danish prompts, read from prompts.yml (data, not code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROMPTS_FILE = Path(__file__).resolve().parent / "prompts.yml"
MENUS_SECTION = "menus"


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

    def __call__(self, name: str, **values: str) -> str:
        try:
            return self.texts[name].format(**values)
        except KeyError as error:
            raise PromptError(f"prompt {name!r}: missing {error}") from None
