"""Render a guide for one municipality: fill variables, drop what is unknown, say so."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from knowledge.templates import Guide, fill, placeholders
from knowledge.tenants import Municipality
from knowledge.values import Value

GAPS_LOG = logging.getLogger("muni.knowledge.gaps")
DEMO_NOTICE = "(Nogle af oplysningerne her er demo-data – tjek altid kommunens hjemmeside eller borger.dk.)"

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


def render(guide: Guide, municipality: Municipality, lookup: Lookup, labels: Mapping[str, str]) -> Answer:
    """Fill a guide's templates; a line or link with a missing variable is left out."""
    renderer = _Renderer(lookup)
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
        lines.append(missing_notice([labels.get(name, name) for name in renderer.missing], municipality))
    if renderer.demo:
        lines.append(DEMO_NOTICE)
    return Answer(
        topic=guide.topic,
        title=guide.title,
        text="\n".join(lines),
        links=tuple(links),
        demo=renderer.demo,
        missing=tuple(renderer.missing),
    )


def missing_notice(labels: list[str], municipality: Municipality) -> str:
    """The Danish line that tells where to find what the guide could not say."""
    return (
        f"Nogle lokale oplysninger ({join_danish(labels)}) har vi ikke her – "
        f"se {municipality.possessive_name} hjemmeside: {municipality.website_url}"
    )


def join_danish(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b og c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} og {items[-1]}"


class _Renderer:
    """Collects, across one answer, which variables were missing and whether demo data was used."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
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
        return fill(template, {name: value.text() for name, value in values.items()})
