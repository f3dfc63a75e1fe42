"""A municipality's own guide as written in the console: checked with a Danish reason, then parsed like a guide file."""

from __future__ import annotations

from collections.abc import Mapping

from knowledge.errors import KnowledgeDataError
from knowledge.kinds import InvalidValue
from knowledge.templates import PLACEHOLDER, Guide, parse_guide
from knowledge.values import Variable

MAX_TITLE = 120
MAX_LINES = 30
MAX_LINE = 1000


def check_guide(topic: str, title: str, text: str, variables: Mapping[str, Variable]) -> tuple[str, list[str]]:
    """(title, lines) of a guide whose lines are `text`'s non-empty lines; InvalidValue in Danish otherwise."""
    title = " ".join(title.split())
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not title:
        raise InvalidValue("Vejledningen mangler en titel.")
    if len(title) > MAX_TITLE:
        raise InvalidValue(f"Titlen er {len(title)} tegn; højst {MAX_TITLE} er tilladt.")
    if PLACEHOLDER.search(title) or "{" in title or "}" in title:
        raise InvalidValue("Titlen kan ikke bruge oplysninger i {krøllede parenteser}.")
    if not lines:
        raise InvalidValue("Vejledningen har ingen tekst. Skriv mindst én linje.")
    if len(lines) > MAX_LINES:
        raise InvalidValue(f"Vejledningen har {len(lines)} linjer; højst {MAX_LINES} er tilladt.")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise InvalidValue(f"Linje {number} er {len(line)} tegn; højst {MAX_LINE} er tilladt.")
        for name in PLACEHOLDER.findall(line):
            if name not in variables:
                raise InvalidValue(
                    f"Linje {number}: oplysningen {{{name}}} findes ikke. Brug fx {{citizen_service_phone}}; "
                    "se navnene under Lokalt indhold."
                )
        if "{" in PLACEHOLDER.sub("", line) or "}" in PLACEHOLDER.sub("", line):
            raise InvalidValue(
                f"Linje {number}: krøllede parenteser bruges kun om oplysninger, fx {{citizen_service_phone}}."
            )
    try:
        parse_guide({"title": title, "lines": lines}, topic, variables, topic, english_required=False)
    except KnowledgeDataError as error:  # every rule of the files is checked above; this is a last guard
        raise InvalidValue(f"Vejledningen kan ikke bruges: {error}") from None
    return title, lines


def as_guide(topic: str, guide: tuple[str, list[str]], variables: Mapping[str, Variable]) -> Guide:
    """The checked guide as the renderer takes it."""
    return parse_guide({"title": guide[0], "lines": guide[1]}, topic, variables, topic, english_required=False)
