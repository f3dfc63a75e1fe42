"""The safety screen: explicit patterns first, then the embedding check, before any understanding."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from safety.embedding import Calibration, EmbeddingCheck, OnnxE5Encoder, load_examples
from safety.patterns import Matcher

Category = Literal["suicide", "poisoning", "child", "fire", "violence", "medical"]
# When several categories match, the first decides the answer ("min far slår mig" is a child's call
# to Børnetelefonen before it is violence; pills and a wish to die are Livslinien and 112).
CATEGORIES: tuple[Category, ...] = ("suicide", "poisoning", "child", "fire", "violence", "medical")
# A message longer than this is screened on its beginning and end (a pasted letter is not a cry for help
# in its middle; the patterns still see all of it).
EMBEDDED_CHARS = 600


@dataclass(frozen=True)
class Finding:
    """Why a message was taken for an emergency."""

    category: Category
    method: Literal["pattern", "embedding"]
    evidence: str  # the pattern, or the nearest example
    score: float = 1.0  # the example's cosine similarity (1.0 for a pattern)


def as_category(name: str) -> Category:
    if name not in CATEGORIES:
        raise ValueError(f"unknown safety category {name!r}; known: {', '.join(CATEGORIES)}")
    return name


class Screen:
    """`check(text)` says whether a (redacted) message is an emergency and of which kind."""

    def __init__(self, matcher: Matcher, embedding: EmbeddingCheck | None) -> None:
        self._matcher = matcher
        self.embedding = embedding

    def check(self, text: str) -> Finding | None:
        return self.by_pattern(text) or self.by_embedding(text)

    def by_pattern(self, text: str) -> Finding | None:
        matched = self._matcher.matches(text)
        if not matched:
            return None
        best = min(matched, key=lambda pattern: CATEGORIES.index(as_category(pattern.category)))
        return Finding(category=as_category(best.category), method="pattern", evidence=best.source)

    def by_embedding(self, text: str) -> Finding | None:
        if self.embedding is None or not text.strip():
            return None
        if len(text) > EMBEDDED_CHARS:
            text = text[: EMBEDDED_CHARS // 2] + " " + text[-EMBEDDED_CHARS // 2 :]
        nearest = self.embedding.nearest(text)
        if not self.embedding.flags(nearest):
            return None
        return Finding(as_category(nearest.category), method="embedding", evidence=nearest.example, score=nearest.score)


def load_screen(*, embeddings: bool = True) -> Screen:
    """The screen on the repository's data; the embedding check (int8 ONNX model) unless `embeddings` is False."""
    matcher = Matcher.load()
    unknown = {p.category for p in matcher.patterns} - set(CATEGORIES)
    if unknown:
        raise ValueError(f"safety/patterns.yml names unknown categories: {sorted(unknown)}")
    if not embeddings:
        return Screen(matcher, None)
    examples = load_examples()
    unknown = set(examples) - set(CATEGORIES) - {"ordinary"}
    if unknown:
        raise ValueError(f"safety/examples.yml names unknown categories: {sorted(unknown)}")
    return Screen(matcher, EmbeddingCheck(OnnxE5Encoder(), examples, Calibration.load()))


@functools.cache
def default_screen() -> Screen:
    """One screen per process (the examples are embedded once, in about a second)."""
    return load_screen()
