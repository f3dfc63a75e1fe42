"""Explicit patterns: words that must all occur in a message, with room for typos (safety/patterns.yml).

A pattern is a line of terms separated by spaces; every term must match a different
word of the message, in any order. A term is one or more alternatives separated by
``|``; an alternative is a word (the whole word), ``word*`` (a word starting so) or
``~word`` (a word containing it: Arabic writes articles and prepositions on the word)
or ``=word`` (exactly that word, no typo). Words of 6 letters or more may have one typo (an insertion, deletion, substitution or
swap of two neighbours), words of 10 or more two. Everything is compared in the normal
form of `safety.normalise`.

A pattern of one term is *weak*: a message that asks about the topic ("hvad er
nummeret til …", "opening hours") is not an emergency because it names one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from safety.normalise import normalise

PATTERNS_PATH = Path(__file__).with_name("patterns.yml")

Kind = Literal["word", "prefix", "infix"]


class PatternError(ValueError):
    """The patterns file is malformed; the message names the category and the pattern."""


def allowed_typos(word: str) -> int:
    return 2 if len(word) >= 10 else 1 if len(word) >= 6 else 0


def within(a: str, b: str, limit: int) -> bool:
    """True if the optimal-string-alignment distance between a and b is at most `limit`."""
    if a == b:
        return True
    if limit == 0 or abs(len(a) - len(b)) > limit:
        return False
    if limit == 1:
        return _one_typo(a, b)
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def _one_typo(a: str, b: str) -> bool:
    """a and b (different, lengths within one) differ by one edit or one swap of neighbours."""
    if len(a) < len(b):
        a, b = b, a
    i = 0
    while i < len(b) and a[i] == b[i]:
        i += 1
    if len(a) != len(b):
        return a[i + 1 :] == b[i:]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


@dataclass(frozen=True)
class Alternative:
    kind: Kind
    word: str
    exact: bool = False

    @property
    def typos(self) -> int:
        return 0 if self.exact else allowed_typos(self.word)

    def matches(self, token: str) -> bool:
        typos = self.typos
        if self.kind == "word":
            return within(token, self.word, typos)
        if self.kind == "infix":
            return self.word in token
        if token.startswith(self.word):
            return True
        return typos > 0 and any(
            within(token[:length], self.word, typos)
            for length in range(len(self.word) - typos, len(self.word) + typos + 1)
            if length <= len(token)
        )


@dataclass(frozen=True)
class Term:
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Pattern:
    category: str
    language: str
    source: str
    terms: tuple[Term, ...]

    @property
    def weak(self) -> bool:
        return len(self.terms) == 1


def parse_term(raw: str) -> Term:
    alternatives = []
    for part in raw.split("|"):
        exact = part.startswith("=")
        part = part.lstrip("=")
        if part.startswith("~"):
            kind: Kind = "infix"
        elif part.endswith("*"):
            kind = "prefix"
        else:
            kind = "word"
        word = normalise(part.strip("~*"))
        if not word or " " in word:
            raise PatternError(f"{raw!r} has an empty or split alternative {part!r}")
        alternatives.append(Alternative(kind, word, exact))
    return Term(tuple(alternatives))


def parse_pattern(category: str, language: str, line: str) -> Pattern:
    terms = tuple(parse_term(raw) for raw in line.split())
    if not terms:
        raise PatternError(f"{category}/{language}: an empty pattern")
    return Pattern(category, language, line, terms)


def _assign(term_matches: Sequence[set[int]]) -> bool:
    """True if each term can take a different word (a small bipartite matching)."""
    taken: dict[int, int] = {}

    def place(term: int, seen: set[int]) -> bool:
        for position in term_matches[term]:
            if position in seen:
                continue
            seen.add(position)
            if position not in taken or place(taken[position], seen):
                taken[position] = term
                return True
        return False

    return all(place(term, set()) for term in range(len(term_matches)))


def deletions(word: str, limit: int) -> set[str]:
    """`word` and every string made from it by deleting up to `limit` letters."""
    found = {word}
    frontier = {word}
    for _ in range(limit):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _token_typos(length: int) -> int:
    """The most deletions a word of this length needs to meet a pattern word within its typos."""
    return 2 if length >= 8 else 1 if length >= 5 else 0


class Matcher:
    """Every category's patterns, and the guards that mark a question about the topic.

    Typos are found through deletion neighbourhoods (two words within k edits share a
    string made by deleting up to k letters from each), so a message is compared with
    the few pattern words it could match, not with all of them.
    """

    def __init__(self, patterns: Iterable[Pattern], guards: Iterable[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self.guards = tuple(guards)
        index: dict[Alternative, int] = {}
        for pattern in (*self.patterns, *self.guards):
            for term in pattern.terms:
                for alternative in term.alternatives:
                    index.setdefault(alternative, len(index))
        self._alternatives = tuple(index)
        # Each pattern's terms as sets of alternative numbers, by the pattern's place in its tuple, and
        # the patterns a word can start: every term must match, so a pattern is tried only when its
        # first term has a hit (a message is checked against a few patterns, not all of them).
        self._pattern_terms = [self._numbered(pattern, index) for pattern in self.patterns]
        self._guard_terms = [self._numbered(guard, index) for guard in self.guards]
        self._pattern_starts = self._starts(self._pattern_terms)
        self._guard_starts = self._starts(self._guard_terms)
        self._words: dict[str, set[int]] = {}
        self._prefixes: dict[str, set[int]] = {}
        self._infixes: list[int] = []
        for number, alternative in enumerate(self._alternatives):
            if alternative.kind == "infix":
                self._infixes.append(number)
                continue
            table = self._words if alternative.kind == "word" else self._prefixes
            for variant in deletions(alternative.word, alternative.typos):
                table.setdefault(variant, set()).add(number)
        self._prefix_lengths = sorted(
            {len(a.word) + d for a in self._alternatives if a.kind == "prefix" for d in range(-2, 3)} - {0}
        )

    @staticmethod
    def _numbered(pattern: Pattern, index: Mapping[Alternative, int]) -> tuple[frozenset[int], ...]:
        return tuple(frozenset(index[a] for a in term.alternatives) for term in pattern.terms)

    @staticmethod
    def _starts(terms: Sequence[tuple[frozenset[int], ...]]) -> dict[int, list[int]]:
        """Alternative number -> the places of the patterns whose first term it is in."""
        starts: dict[int, list[int]] = {}
        for place, pattern_terms in enumerate(terms):
            for number in pattern_terms[0]:  # parse_pattern refuses a pattern without terms
                starts.setdefault(number, []).append(place)
        return starts

    @classmethod
    def load(cls, path: Path = PATTERNS_PATH) -> Matcher:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Matcher:
        categories = data.get("categories")
        guards = data.get("about_the_topic")
        if not isinstance(categories, dict) or not isinstance(guards, dict):
            raise PatternError("the patterns file needs 'categories' and 'about_the_topic' mappings")
        patterns = [
            parse_pattern(category, language, line)
            for category, languages in categories.items()
            for language, lines in (languages or {}).items()
            for line in lines or []
        ]
        guard_patterns = [
            parse_pattern("about_the_topic", language, line) for language, lines in guards.items() for line in lines or []
        ]
        return cls(patterns, guard_patterns)

    def _hits(self, tokens: Sequence[str]) -> dict[int, set[int]]:
        """Alternative number -> the positions of the words it matches."""
        hits: dict[int, set[int]] = {}
        for position, token in enumerate(tokens):
            candidates: set[int] = set()
            for variant in deletions(token, _token_typos(len(token))):
                candidates |= self._words.get(variant, set())
            for length in self._prefix_lengths:
                if length > len(token):
                    break
                for variant in deletions(token[:length], _token_typos(length)):
                    candidates |= self._prefixes.get(variant, set())
            candidates.update(self._infixes)
            for number in candidates:
                if self._alternatives[number].matches(token):
                    hits.setdefault(number, set()).add(position)
        return hits

    def matches(self, text: str) -> list[Pattern]:
        """The patterns `text` matches; weak ones are left out when it asks about the topic."""
        tokens = list(dict.fromkeys(normalise(text).split()))
        if not tokens:
            return []
        hits = self._hits(tokens)

        def hit(terms: tuple[frozenset[int], ...]) -> bool:
            term_matches = []
            for alternatives in terms:
                found = set().union(*(hits.get(number, ()) for number in alternatives))
                if not found:
                    return False
                term_matches.append(found)
            return _assign(term_matches)

        def tried(starts: Mapping[int, list[int]]) -> list[int]:
            return sorted({place for number in hits for place in starts.get(number, ())})

        found = [self.patterns[place] for place in tried(self._pattern_starts) if hit(self._pattern_terms[place])]
        if any(p.weak for p in found) and any(hit(self._guard_terms[place]) for place in tried(self._guard_starts)):
            found = [p for p in found if not p.weak]
        return found
