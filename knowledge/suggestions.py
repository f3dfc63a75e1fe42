"""Suggested local values: what a municipality's own crawled pages state about a variable's topic.

For each local variable of a kind with a pattern (phone, money, hours, e-mail, link), every value
of that kind on the municipality's pages is scored by how near it stands to the words of the
variable's label ("Borgerservices telefonnummer" → borgerservice), in its own line, the line
before, the page's title and headings, and the guide topics that use the variable. Repeated on
several pages, a value gains. The editor accepts or rejects a suggestion in the console; nothing
here publishes anything. Pages of another municipality are never read for it.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from knowledge.index.records import StoredPage
from knowledge.kinds import Kind, Scalar
from knowledge.stated import Stated, stated_values
from knowledge.values import Variable

SUGGESTED_KINDS = frozenset({Kind.PHONE, Kind.MONEY, Kind.HOURS, Kind.EMAIL, Kind.URL})
PER_VARIABLE = 3  # the best few: an editor reads them, a long list helps nobody
MIN_SCORE = 3.5  # more than the label in a neighbouring line: in the value's own line, or the title and nearby
SNIPPET_CHARS = 240

# Words of labels that name the kind or glue the phrase, not the topic ("pris på pasfoto" → pasfoto).
_GENERIC = frozenset(
    {"af", "at", "den", "det", "du", "dit", "din", "en", "et", "for", "fra", "hvor", "hvordan", "hvornår", "i", "med"}
    | {"og", "om", "på", "til", "ved", "adresse", "gebyr", "kommunens", "link", "nummer", "pris", "telefon"}
    | {"telefonnummer", "åbningstider", "e-mailadresse", "mail"}
)
_WORD = re.compile(r"[a-zæøå]+", re.IGNORECASE)
_SUFFIXES = ("ernes", "enes", "erne", "ens", "ets", "ene", "er", "en", "et", "es", "s", "e")
_LINE_WEIGHT, _BEFORE_WEIGHT, _TITLE_WEIGHT, _CHUNK_WEIGHT, _TOPIC_WEIGHT = 4.0, 2.0, 2.0, 1.0, 0.5


@dataclass(frozen=True)
class Suggestion:
    municipality: str
    variable: str
    value: Scalar
    url: str  # the page that states it
    title: str
    snippet: str  # the words around the value on that page
    score: float


@functools.lru_cache(maxsize=1 << 16)  # pure: words repeat on every page of a website
def stem(word: str) -> str:
    """A crude Danish stem: enough to match 'Borgerservices' with 'borgerservice', 'genbrugspladsen' with its label."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def label_terms(text: str) -> frozenset[str]:
    """The stems of the words in a label or title that name its topic."""
    return frozenset(stem(w) for w in _WORD.findall(text) if w.lower() not in _GENERIC and len(w) >= 3)


@dataclass(frozen=True)
class _Words:
    """The word stems of a text, for matching label terms as prefixes in log time."""

    stems: frozenset[str]
    ordered: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Words:
        stems = frozenset(stem(w) for w in _WORD.findall(text) if len(w) >= 4)
        return cls(stems, tuple(sorted(stems)))

    def __or__(self, other: _Words) -> _Words:
        stems = self.stems | other.stems
        return _Words(stems, tuple(sorted(stems)))

    def has(self, term: str) -> bool:
        """A word begins with the term ('genbrugspladsens' for genbrugsplads), or is it short of one or two
        letters ('jobcent' for jobcentr); never a short word inside a long term ('borger' is not borgerservice)."""
        if term in self.stems:
            return True
        at = bisect.bisect_left(self.ordered, term)
        if at < len(self.ordered) and self.ordered[at].startswith(term):
            return True
        return any(term[:-cut] in self.stems for cut in (1, 2) if len(term) - cut >= 4)


def _share(terms: frozenset[str], words: _Words) -> float:
    """The part of `terms` that the words match."""
    if not terms:
        return 0.0
    return sum(1 for term in terms if words.has(term)) / len(terms)


def find_suggestions(
    municipality: str,
    pages: Iterable[StoredPage],
    variables: Iterable[Variable],
    topic_titles: Mapping[str, Iterable[str]] | None = None,
    *,
    per_variable: int = PER_VARIABLE,
) -> list[Suggestion]:
    """The best values per variable that `municipality`'s own pages state, best first per variable."""
    wanted = [v for v in variables if v.kind in SUGGESTED_KINDS]
    labels = {v.name: label_terms(v.label) for v in wanted}
    topics = {v.name: label_terms(" ".join((topic_titles or {}).get(v.name, ()))) - labels[v.name] for v in wanted}
    best: dict[tuple[str, Scalar], Suggestion] = {}
    for page in pages:
        if page.municipality != municipality:
            continue
        found: dict[tuple[str, Scalar], Suggestion] = {}  # one score per value and page: a page repeating it gains nothing
        for chunk in page.chunks:
            if chunk.municipality != municipality:
                continue
            heading = _Words.of(" ".join((page.title, chunk.title, *chunk.heading_path)))
            body = _Words.of(chunk.text)
            stated: dict[Kind, list[Stated]] = {}
            near: dict[int, tuple[_Words, _Words]] = {}  # value's start -> stems of its line and the one before
            for variable in wanted:
                terms = labels[variable.name]
                in_title, in_chunk = _share(terms, heading), _share(terms, body)
                if not in_title and not in_chunk:
                    continue
                about = _share(topics[variable.name], heading | body)
                if variable.kind not in stated:
                    stated[variable.kind] = list(stated_values(variable.kind, chunk.text))
                for value in stated[variable.kind]:
                    if value.start not in near:
                        line, before = _lines(chunk.text, value.start, value.end)
                        near[value.start] = (_Words.of(line), _Words.of(before))
                    line_stems, before_stems = near[value.start]
                    score = (
                        _LINE_WEIGHT * _share(terms, line_stems)
                        + _BEFORE_WEIGHT * _share(terms, before_stems)
                        + _TITLE_WEIGHT * in_title
                        + _CHUNK_WEIGHT * in_chunk
                        + _TOPIC_WEIGHT * about
                    )
                    key = (variable.name, value.value)
                    if key not in found or score > found[key].score:
                        found[key] = Suggestion(
                            municipality, variable.name, value.value, page.url, page.title,
                            _snippet(chunk.text, value.start, value.end), round(score, 3),
                        )  # fmt: skip
        for key, suggestion in found.items():
            kept = best.get(key)
            if kept is None:
                best[key] = suggestion
            else:  # stated on another page too: more likely the municipality's value
                top, other = (suggestion, kept) if suggestion.score > kept.score else (kept, suggestion)
                best[key] = _with_score(top, top.score + other.score / 2)
    ranked: dict[str, list[Suggestion]] = {}
    for suggestion in sorted(best.values(), key=lambda s: (-s.score, s.url, str(s.value))):
        if suggestion.score >= MIN_SCORE and len(ranked.setdefault(suggestion.variable, [])) < per_variable:
            ranked[suggestion.variable].append(suggestion)
    return [s for v in wanted for s in ranked.get(v.name, [])]


def _with_score(suggestion: Suggestion, score: float) -> Suggestion:
    return Suggestion(
        suggestion.municipality, suggestion.variable, suggestion.value, suggestion.url, suggestion.title,
        suggestion.snippet, round(score, 3),
    )  # fmt: skip


def _lines(text: str, start: int, end: int) -> tuple[str, str]:
    """The line the value stands in, and the line before it (often a heading such as 'Kontakt Borgerservice')."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    before_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start else line_start
    return line, text[before_start : max(line_start - 1, before_start)]


def _snippet(text: str, start: int, end: int) -> str:
    """About SNIPPET_CHARS characters around the value, cut at words, on one line."""
    room = max((SNIPPET_CHARS - (end - start)) // 2, 0)
    left, right = max(start - room, 0), min(end + room, len(text))
    snippet = " ".join(text[left:right].split())
    if left > 0:
        snippet = "… " + snippet.split(" ", 1)[-1]
    if right < len(text):
        snippet = snippet.rsplit(" ", 1)[0] + " …"
    return snippet
