"""The IVR's menus as data: which key or spoken word leads to which action (the menus: section of prompts.yml)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from voice.prompts import MENUS_SECTION, PROMPTS_FILE, Prompts

_DIGIT = re.compile(r"[0-9]")
_WORD = re.compile(r"[^\W\d_]+\*?")  # letters, and a final * for "any ending"


class MenuError(ValueError):
    """The menus: section of prompts.yml is malformed; the message names the menu and what is wrong."""


@dataclass(frozen=True)
class Choice:
    """One way on from a menu: a key, the words that mean the same, and the action both lead to."""

    digit: str
    action: str
    words: tuple[str, ...]
    max_words: int | None = None  # a longer utterance is not this choice (a question that mentions it)
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A word ending in * matches any ending: "assistent*" hears "assistenten".
        alternatives = [re.escape(word.rstrip("*")) + (r"\w*" if word.endswith("*") else "") for word in self.words]
        pattern = re.compile(rf"\b({'|'.join(alternatives)})\b", re.IGNORECASE) if alternatives else None
        object.__setattr__(self, "pattern", pattern)

    def heard_in(self, speech: str) -> bool:
        if self.pattern is None or (self.max_words is not None and len(speech.split()) > self.max_words):
            return False
        return self.pattern.search(speech) is not None


@dataclass(frozen=True)
class Menu:
    name: str
    choices: tuple[Choice, ...]  # in order: the first whose words are heard wins
    announced_in: Mapping[str, tuple[str, ...]]  # prompt name -> the digits that prompt offers

    @property
    def digits(self) -> frozenset[str]:
        return frozenset(choice.digit for choice in self.choices)

    def choose(self, digits: str, speech: str) -> Choice | None:
        """The choice a key press means, or else (no key pressed) the first whose words were said."""
        if digits:
            return next((choice for choice in self.choices if choice.digit == digits), None)
        return next((choice for choice in self.choices if choice.heard_in(speech)), None)


@dataclass(frozen=True)
class Menus:
    """Every menu the IVR plays; load() requires exactly these names."""

    main: Menu  # after the greeting, and after the hours when the centre is closed (/voice/menu)
    assistant: Menu  # the assistant's own keys, beside the answer's buttons (/voice/assistant)
    sms_consent: Menu  # may we text you the link? (/voice/sms-consent)

    @classmethod
    def load(cls, actions: Collection[str], prompts: Prompts, path: Path = PROMPTS_FILE) -> Menus:
        """Read and check the menus: every action known, no digit or word twice, announcing prompts that exist."""
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        menus = raw.get(MENUS_SECTION) if isinstance(raw, dict) else None
        if not isinstance(menus, dict):
            raise MenuError(f"{path}: expected a menus: section mapping menu names to menus")
        expected = [field.name for field in fields(cls)]
        if missing := [name for name in expected if name not in menus]:
            raise MenuError(f"{path}: menus: missing {', '.join(missing)}")
        if unknown := sorted(set(menus) - set(expected)):
            raise MenuError(f"{path}: menus: unknown menus {', '.join(map(str, unknown))} (expected {', '.join(expected)})")
        return cls(**{name: _menu(f"{path}: menu {name!r}", name, menus[name], actions, prompts) for name in expected})


def _menu(where: str, name: str, raw: Any, actions: Collection[str], prompts: Prompts) -> Menu:
    if not isinstance(raw, dict) or set(raw) - {"choices", "announced_in"}:
        raise MenuError(f"{where}: expected a mapping with choices: and announced_in:")
    if not isinstance(raw.get("choices"), list) or not raw["choices"]:
        raise MenuError(f"{where}: choices: must be a non-empty list")
    choices = tuple(_choice(f"{where}, choice {number}", item, actions) for number, item in enumerate(raw["choices"], 1))
    digits: set[str] = set()
    words: dict[str, str] = {}
    for choice in choices:
        if choice.digit in digits:
            raise MenuError(f"{where}: digit {choice.digit} leads to two choices")
        digits.add(choice.digit)
        for word in choice.words:
            if (other := words.setdefault(word.casefold(), choice.digit)) != choice.digit:
                raise MenuError(f"{where}: the word {word!r} is in the choices of both {other} and {choice.digit}")
    announced = raw.get("announced_in")
    if not isinstance(announced, dict) or not announced:
        raise MenuError(f"{where}: announced_in: must map the prompts that offer this menu to their digits")
    announced_in: dict[str, tuple[str, ...]] = {}
    for prompt, offered in announced.items():
        if prompt not in prompts.texts:
            raise MenuError(f"{where}: announced_in: no prompt named {prompt!r}")
        if not isinstance(offered, list) or not offered:
            raise MenuError(f"{where}: announced_in: {prompt}: expected a list of digits")
        announced_in[prompt] = tuple(_digit(f"{where}: announced_in: {prompt}", digit) for digit in offered)
        if stray := [digit for digit in announced_in[prompt] if digit not in digits]:
            raise MenuError(f"{where}: prompt {prompt!r} offers {', '.join(stray)}, which the menu does not have")
    if unannounced := sorted(digits - {digit for offered in announced_in.values() for digit in offered}):
        raise MenuError(f"{where}: no prompt offers {', '.join(unannounced)}")
    return Menu(name=name, choices=choices, announced_in=announced_in)


def _choice(where: str, raw: Any, actions: Collection[str]) -> Choice:
    if not isinstance(raw, dict) or set(raw) - {"digit", "action", "words", "max_words"}:
        raise MenuError(f"{where}: expected a mapping of digit, action, words (and max_words)")
    digit = _digit(where, raw.get("digit"))
    action = raw.get("action")
    if not isinstance(action, str) or action not in actions:
        raise MenuError(f"{where} (digit {digit}): unknown action {action!r}; known: {', '.join(sorted(actions))}")
    words = raw.get("words", [])
    if not isinstance(words, list) or not all(isinstance(word, str) and _WORD.fullmatch(word) for word in words):
        raise MenuError(f"{where} (digit {digit}): words: must be a list of words (a final * for any ending)")
    max_words = raw.get("max_words")
    if max_words is not None and (not isinstance(max_words, int) or isinstance(max_words, bool) or max_words < 1):
        raise MenuError(f"{where} (digit {digit}): max_words: must be a positive whole number")
    return Choice(digit=digit, action=action, words=tuple(words), max_words=max_words)


def _digit(where: str, raw: Any) -> str:
    # Quoted in YAML ("1") or not (1): a key on the phone's pad either way, and only one (numDigits=1).
    digit = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not _DIGIT.fullmatch(digit):
        raise MenuError(f"{where}: {raw!r} is not a key 0-9")
    return digit
