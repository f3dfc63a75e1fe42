"""Danish lemmas and the BM25-style sparse vectors built from them (Qdrant applies the IDF)."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

# BM25 term-frequency saturation. The document length is normalised against a fixed typical chunk
# length instead of the corpus mean, so a chunk's weights never depend on what else is indexed.
K1 = 1.2
B = 0.75
TYPICAL_CHUNK_LEMMAS = 60.0


@dataclass(frozen=True)
class SparseTerms:
    indices: list[int]
    values: list[float]


class Lemmatizer:
    """Lower-case, spaCy's Danish tokenizer, lookup lemmas, Danish stop words and punctuation dropped."""

    def __init__(self, tokenize: Callable[[str], list[str]], table: Mapping[str, str], stop: frozenset[str]):
        self._tokenize = tokenize
        self._table = table
        self._stop = stop

    def lemmas(self, text: str) -> list[str]:
        out: list[str] = []
        for token in self._tokenize(text.lower()):
            token = token.strip(".,;:!?\"'()[]{}«»–-/")
            if not token or token in self._stop or not any(ch.isalnum() for ch in token):
                continue
            lemma = self._table.get(token, token)
            if lemma not in self._stop:
                out.append(lemma)
        return out


@cache
def danish_lemmatizer() -> Lemmatizer:
    """Built once per process: loading the lemma table takes seconds."""
    import spacy
    from spacy.lookups import load_lookups

    nlp = spacy.blank("da")
    table = load_lookups("da", ["lemma_lookup"]).get_table("lemma_lookup")
    stop = frozenset(nlp.Defaults.stop_words)

    def tokenize(text: str) -> list[str]:
        return [token.text for token in nlp.tokenizer(text)]

    # The Table hashes string keys itself (its items() are keyed by hash), so it is used as is.
    return Lemmatizer(tokenize, table, stop)


def term_id(lemma: str) -> int:
    """A stable id for a lemma (the same in every process and on every machine)."""
    return zlib.crc32(lemma.encode("utf-8"))


def passage_terms(lemmas: list[str]) -> SparseTerms:
    """BM25 term weights of a passage: saturated term frequency, normalised by length."""
    counts = Counter(lemmas)
    norm = K1 * (1 - B + B * len(lemmas) / TYPICAL_CHUNK_LEMMAS)
    weights: dict[int, float] = {}
    for lemma, tf in counts.items():
        tid = term_id(lemma)
        weights[tid] = weights.get(tid, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _sorted(weights)


def query_terms(lemmas: list[str]) -> SparseTerms:
    """A query's terms weigh one each; Qdrant multiplies in each term's IDF."""
    return _sorted({term_id(lemma): 1.0 for lemma in lemmas})


def _sorted(weights: dict[int, float]) -> SparseTerms:
    ids = sorted(weights)
    return SparseTerms(indices=ids, values=[weights[i] for i in ids])
