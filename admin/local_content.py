"""A municipality's local values as the console shows them: per topic, with status, and the gap list.

Shared by the content pages (admin/content.py) and the municipality's start page (admin/pages.py).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from admin.state import STORES
from conversation.directory import CRISIS_VARIABLES
from knowledge import GuideLibrary, Value, Variable
from knowledge.kinds import Kind
from knowledge.published import to_values


@functools.cache
def guide_library() -> GuideLibrary:
    """The guides, read once per process (the files change only with a deployment)."""
    return GuideLibrary.load()


class Status:
    PUBLISHED = "published"  # set in the console: the municipality's own value
    VERIFIED = "verified"  # from the tenant file, not marked demo
    DEMO = "demo"  # a placeholder until the municipality replaces it
    MISSING = "missing"  # no value: the assistant points to the website instead
    NATIONAL = "national"  # the consortium's common default (knowledge/national.yml) until the municipality sets its own


STATUS_LABELS = {
    Status.PUBLISHED: "Offentliggjort",
    Status.VERIFIED: "Bekræftet",
    Status.DEMO: "Demo-data",
    Status.MISSING: "Mangler",
    Status.NATIONAL: "Fælles standard",
}

# National variables a municipality may still set for itself in the console: the akutguide's (its local P4
# channel, where its police inform). Named by the guide's variables, not its topic id, so the editor lists
# them whichever topic the akutguide is filed under.
OVERRIDABLE = frozenset(CRISIS_VARIABLES)


def editable(variable: Variable) -> bool:
    """Whether a municipality sets this variable in the console: every local one, and the akutguide's."""
    return variable.scope == "local" or (variable.scope == "national" and variable.name in OVERRIDABLE)


@dataclass(frozen=True)
class Row:
    variable: Variable
    value: Value | None
    status: str
    first: bool  # the first topic that uses it holds its form; later ones link there

    @property
    def text(self) -> str:
        return "" if self.value is None else self.value.text()

    @property
    def kind(self) -> Kind:
        return self.variable.kind


@dataclass(frozen=True)
class Section:
    topic: str | None  # None: values no guide of this municipality uses (yet)
    title: str
    rows: tuple[Row, ...]


async def published_values(request: web.Request, slug: str) -> dict[str, Value]:
    """The municipality's values as published now, checked like the action server checks them."""
    library = guide_library()
    raw = await request.app[STORES].content.published(slug)
    return to_values(raw, library.variables).get(slug, {})


def sections(library: GuideLibrary, slug: str, published: Mapping[str, Value]) -> list[Section]:
    """The municipality's local variables per topic that uses them, in the topics' order."""
    municipality = library.municipality(slug)
    local = {name: v for name, v in library.variables.items() if editable(v)}
    seen: set[str] = set()
    found: list[Section] = []
    for topic in library.topics.values():
        if not library.has_guide(topic.id, slug):
            continue
        names = sorted(library.guide(topic.id, slug).variables() & set(local))
        if names:
            rows = tuple(_row(local[n], published, municipality.variables, library.national, n not in seen) for n in names)
            found.append(Section(topic.id, topic.title, rows))
            seen.update(names)
    rest = sorted(set(local) - seen)
    if rest:
        rows = tuple(_row(local[n], published, municipality.variables, library.national, True) for n in rest)
        found.append(Section(None, "Andre oplysninger", rows))
    return found


def _row(
    variable: Variable,
    published: Mapping[str, Value],
    from_file: Mapping[str, Value],
    national: Mapping[str, Value],
    first: bool,
) -> Row:
    if (value := published.get(variable.name)) is not None:
        return Row(variable, value, Status.PUBLISHED, first)
    if (value := from_file.get(variable.name)) is not None:
        return Row(variable, value, Status.DEMO if value.demo else Status.VERIFIED, first)
    if (value := national.get(variable.name)) is not None:
        return Row(variable, value, Status.NATIONAL, first)
    return Row(variable, None, Status.MISSING, first)


def gaps(rows: list[Section]) -> list[Row]:
    """Every value still demo or missing, once each."""
    unique = {row.variable.name: row for section in rows for row in section.rows if row.first}
    return [row for row in unique.values() if row.status in (Status.DEMO, Status.MISSING)]


def start_page_gaps(library: GuideLibrary, slug: str, published: Mapping[str, Value]) -> list[Row]:
    """The gap list on the municipality's start page: what is still demo or missing."""
    return gaps(sections(library, slug, published))
