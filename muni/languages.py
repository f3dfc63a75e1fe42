"""The languages Muni answers in: Danish, and English where the conversation is in English.

A conversation's language travels from the gateway to the actions in the Rasa message
metadata (`"language"`); any language other than English is answered in Danish.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["da", "en"]
LANGUAGES: frozenset[str] = frozenset({"da", "en"})
DEFAULT_LANGUAGE: Language = "da"


def answer_language(code: object) -> Language:
    """The language to answer a conversation in: "en" for English, Danish for anything else."""
    return "en" if code == "en" else "da"
