"""Render a guide for one municipality: fill variables, drop what is unknown, say so."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from knowledge.templates import Guide, fill, placeholders
from knowledge.tenants import Municipality
from knowledge.values import Value, Variable

GAPS_LOG = logging.getLogger("muni.knowledge.gaps")
DEMO_NOTICE = "(Nogle af oplysningerne her er demo-data – tjek altid kommunens hjemmeside eller borger.dk.)"
DEMO_NOTICE_EN = (
    "(Some of this information is demo data – always check the municipality's website or borger.dk.)"
)

Lookup = Callable[[str], Value | None]


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Answer:
    """A guide answer ready for a citizen: plain text lines and links, no placeholders."""

    topic: str
    title: str
    text: str
    links: tuple[Link, ...]
    demo: bool
    missing: tuple[str, ...]


def render(
    guide: Guide,
    municipality: Municipality,
    lookup: Lookup,
    variables: Mapping[str, Variable],
    language: str = "da",
) -> Answer:
    """Fill a guide's templates in `language` ("en", else Danish); a line or link with a missing variable is left out."""
    guide = guide.in_language(language)
    renderer = _Renderer(lookup, variables, language)
    lines = [text for text in map(renderer.fill, guide.lines) if text is not None]
    links = []
    for template in guide.links:
        title, url = renderer.fill(template.title), renderer.fill(template.url)
        if title is not None and url is not None:
            links.append(Link(title, url))
    for name in renderer.missing:
        GAPS_LOG.warning(
            "No value for a guide variable: municipality=%s topic=%s variable=%s",
            municipality.slug,
            guide.topic,
            name,
        )
    if renderer.missing:
        labels = [variables[name].label_in(language) if name in variables else name for name in renderer.missing]
        lines.append(missing_notice(labels, municipality, language))
    if renderer.demo:
        lines.append(DEMO_NOTICE_EN if language == "en" else DEMO_NOTICE)
    return Answer(
        topic=guide.topic,
        title=guide.title,
        text="\n".join(lines),
        links=tuple(links),
        demo=renderer.demo,
        missing=tuple(renderer.missing),
    )


def missing_notice(labels: list[str], municipality: Municipality, language: str = "da") -> str:
    """The line that tells where to find what the guide could not say."""
    if language == "en":
        return (
            f"Some local details ({join_english(labels)}) are not available here – "
            f"see {municipality.name}'s website: {municipality.website_url}"
        )
    return (
        f"Nogle lokale oplysninger ({join_danish(labels)}) har vi ikke her – "
        f"se {municipality.possessive_name} hjemmeside: {municipality.website_url}"
    )


def join_danish(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b og c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} og {items[-1]}"


def join_english(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


class _Renderer:
    """Collects, across one answer, which variables were missing and whether demo data was used."""

    def __init__(self, lookup: Lookup, variables: Mapping[str, Variable], language: str) -> None:
        self._lookup = lookup
        self._variables = variables
        self._language = language
        self.missing: list[str] = []
        self.demo = False

    def fill(self, template: str) -> str | None:
        values: dict[str, Value] = {}
        absent = False
        for name in placeholders(template):
            value = self._lookup(name)
            if value is None:
                absent = True
                if name not in self.missing:
                    self.missing.append(name)
            else:
                values[name] = value
        if absent:
            return None
        self.demo = self.demo or any(value.demo for value in values.values())
        return fill(template, {name: self._text(name, value) for name, value in values.items()})

    def _text(self, name: str, value: Value) -> str:
        variable = self._variables.get(name)
        return value.text(self._language, prose=variable is not None and variable.prose)
