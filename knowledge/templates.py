"""Guide templates: lines and links with {variable} placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from knowledge._yaml import require
from knowledge.errors import KnowledgeDataError

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def placeholders(text: str) -> tuple[str, ...]:
    """The variable names a template uses, in order of appearance."""
    return tuple(PLACEHOLDER.findall(text))


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every placeholder; the caller has checked that all are present."""
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@dataclass(frozen=True)
class LinkTemplate:
    title: str
    url: str


@dataclass(frozen=True)
class Guide:
    """A guide as written in the data: rendered per municipality by knowledge.rendering."""

    topic: str
    title: str
    lines: tuple[str, ...]
    links: tuple[LinkTemplate, ...] = ()
    # The same guide written in English (the file's `en:` section); None only on that English guide.
    english: Guide | None = None

    def in_language(self, language: str) -> Guide:
        """The guide to render for a conversation in `language`: English for "en", else this one."""
        return self.english if language == "en" and self.english is not None else self

    def variables(self) -> frozenset[str]:
        texts = [*self.lines, *(link.title for link in self.links), *(link.url for link in self.links)]
        return frozenset(name for text in texts for name in placeholders(text))


def parse_guide(
    data: Any, topic: str, known_variables: Iterable[str], where: str, *, english_required: bool = True
) -> Guide:
    """Build a Guide and its English version (`en:`) from YAML, rejecting unknown variables and stray braces.

    Both languages must use exactly the same variables: a citizen gets the same local facts in
    either, and a value a municipality lacks is missing from both. A guide a municipality wrote
    in the console (`english_required=False`) may be Danish only: English answers then use it as is.
    """
    known = frozenset(known_variables)
    danish = _parse_one(data, topic, known, where, {"en"})
    if "en" not in data:
        if not english_required:
            return danish
        raise KnowledgeDataError(f"{where}: no English version (an 'en:' section with title, lines and links)")
    english = _parse_one(data["en"], topic, known, f"{where}: en", set())
    if english.variables() != danish.variables():
        only_danish = sorted(danish.variables() - english.variables())
        only_english = sorted(english.variables() - danish.variables())
        raise KnowledgeDataError(
            f"{where}: the Danish and English versions must use the same variables; "
            f"only in Danish: {only_danish}, only in English: {only_english}"
        )
    return Guide(danish.topic, danish.title, danish.lines, danish.links, english=english)


def _parse_one(data: Any, topic: str, known: frozenset[str], where: str, extra_keys: set[str]) -> Guide:
    if not isinstance(data, dict):
        raise KnowledgeDataError(f"{where}: expected a mapping")
    declared = data.get("topic", topic)
    if declared != topic:
        raise KnowledgeDataError(f"{where}: topic {declared!r} does not match {topic!r}")
    unknown = set(data) - {"topic", "title", "lines", "links"} - extra_keys
    if unknown:
        raise KnowledgeDataError(f"{where}: unknown keys {sorted(unknown)}")
    lines = require(data, "lines", list, where)
    if not lines or not all(isinstance(line, str) and line.strip() for line in lines):
        raise KnowledgeDataError(f"{where}: 'lines' must be a non-empty list of texts")
    guide = Guide(
        topic=topic,
        title=require(data, "title", str, where),
        lines=tuple(line.strip() for line in lines),
        links=tuple(
            _parse_link(item, f"{where}: links[{index}]")
            for index, item in enumerate(data.get("links") or [])
        ),
    )
    _check_templates(guide, known, where)
    return guide


def _parse_link(data: Any, where: str) -> LinkTemplate:
    if not isinstance(data, dict) or set(data) != {"title", "url"}:
        raise KnowledgeDataError(f"{where}: a link is {{title: ..., url: ...}}")
    link = LinkTemplate(require(data, "title", str, where), require(data, "url", str, where))
    if not (link.url.startswith("https://") or link.url.startswith("{")):
        raise KnowledgeDataError(f"{where}: a link URL must start with https:// or a variable")
    return link


def _check_templates(guide: Guide, known: frozenset[str], where: str) -> None:
    texts = [
        guide.title,
        *guide.lines,
        *(link.title for link in guide.links),
        *(link.url for link in guide.links),
    ]
    for text in texts:
        if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
            raise KnowledgeDataError(f"{where}: stray brace in {text!r}")
    if placeholders(guide.title):
        raise KnowledgeDataError(f"{where}: the title cannot use variables")
    unknown = guide.variables() - known
    if unknown:
        raise KnowledgeDataError(f"{where}: undeclared variables {sorted(unknown)}")
