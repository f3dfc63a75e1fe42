"""Hybrid retrieval: dense and lexical search in one municipality, fused by reciprocal rank."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from knowledge.index.errors import IndexUnavailable
from knowledge.index.fusion import reciprocal_rank_fusion
from knowledge.index.lexical import Lemmatizer, danish_lemmatizer, query_terms
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KnowledgeIndex, index_errors

if TYPE_CHECKING:
    from knowledge.embeddings import Embedder

WEB_PAGES_MEMORY_S = 60.0
CANDIDATES = 20  # per ranking, before fusion


@dataclass(frozen=True)
class Hit:
    municipality: str
    kind: str  # "guide" | "web"
    topic: str | None
    url: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    dense: float  # cosine of question and passage
    lexical: float  # BM25-style score over Danish lemmas (0 when no lemma matched)
    fused: float  # reciprocal rank fusion of the two rankings


class IndexSource(Protocol):
    """Lends an index for the length of one search (a LiveIndex follows re-index runs)."""

    def use(self) -> AbstractContextManager[KnowledgeIndex]: ...


class Retriever:
    def __init__(
        self,
        source: IndexSource,
        embedder: Embedder,
        settings: IndexSettings,
        *,
        lemmatizer: Lemmatizer | None = None,
    ):
        self.source = source
        self.embedder = embedder
        self.settings = settings
        self._lemmatizer = lemmatizer
        self._web: tuple[KnowledgeIndex | None, float, dict[str, bool]] = (None, 0.0, {})

    def search(self, municipality: str, question: str, *, limit: int = 5) -> list[Hit]:
        """The best passages of this municipality's guides and pages for the question, best first."""
        if not municipality:
            raise ValueError("a municipality is required")
        with self.source.use():
            pass  # no index, no model or lemma-table work: IndexUnavailable before anything loads
        lemmatizer = danish_lemmatizer() if self._lemmatizer is None else self._lemmatizer
        vector = np.asarray(self.embedder.encode_queries([question])[0], dtype=np.float32)
        terms = query_terms(lemmatizer.lemmas(question))
        depth = max(limit, CANDIDATES)
        with index_errors("search"), self.source.use() as index:
            dense = index.dense_search(municipality, vector, depth)
            lexical = index.lexical_search(municipality, terms, depth)
            points = {p.id: p for p in (*lexical, *dense)}
            dense_scores = {p.id: p.score for p in dense}
            lexical_scores = {p.id: p.score for p in lexical}
            fused = reciprocal_rank_fusion([[p.id for p in dense], [p.id for p in lexical]])[:limit]
            missing = [key for key, _ in fused if key not in dense_scores]
            stored = index.dense_vectors(municipality, missing)
        # A passage found only lexically gets its cosine from its stored (normalised) vector.
        dense_scores.update({key: float(v @ vector / (np.linalg.norm(v) or 1.0)) for key, v in stored.items()})
        hits = [
            _hit(points[key].payload or {}, dense_scores[key], lexical_scores.get(key, 0.0), score)
            for key, score in fused
        ]
        if any(hit.municipality != municipality for hit in hits):
            raise IndexUnavailable(f"the index returned another municipality's passage for {municipality!r}")
        return hits

    def has_web_pages(self, municipality: str) -> bool:
        """Whether the municipality's website is in the index (remembered per generation, for a minute:
        a Qdrant server's collections change in place)."""
        with index_errors("looking for the website's pages"), self.source.use() as index:
            seen_in, since, known = self._web
            if seen_in is not index or time.monotonic() - since > WEB_PAGES_MEMORY_S:
                known = {}
                self._web = (index, time.monotonic(), known)
            if municipality not in known:
                known[municipality] = index.has_kind(municipality, "web")
            return known[municipality]

    async def ahas_web_pages(self, municipality: str) -> bool:
        """has_web_pages() off the event loop."""
        return await asyncio.to_thread(self.has_web_pages, municipality)

    def best(self, municipality: str, question: str) -> Hit | None:
        """The top passage when it is confident enough to answer from, else None (the fallback)."""
        hits = self.search(municipality, question, limit=1)
        if hits and self.confident(hits[0]):
            return hits[0]
        return None

    def confident(self, hit: Hit) -> bool:
        """Calibrated (settings.py): a close passage sharing a lemma, or a very close one without."""
        return confident(hit, self.settings.threshold, self.settings.threshold_dense_only)

    async def asearch(self, municipality: str, question: str, *, limit: int = 5) -> list[Hit]:
        """search() off the event loop."""
        return await asyncio.to_thread(self.search, municipality, question, limit=limit)

    async def abest(self, municipality: str, question: str) -> Hit | None:
        """best() off the event loop."""
        return await asyncio.to_thread(self.best, municipality, question)


def confident(hit: Hit, threshold: float, threshold_dense_only: float) -> bool:
    return (hit.lexical > 0 and hit.dense >= threshold) or hit.dense >= threshold_dense_only


def _hit(payload: dict[str, Any], dense: float, lexical: float, fused: float) -> Hit:
    return Hit(
        municipality=payload["municipality"],
        kind=payload["kind"],
        topic=payload.get("topic"),
        url=payload["url"],
        title=payload.get("title", ""),
        heading_path=tuple(payload.get("heading_path") or ()),
        text=payload["text"],
        dense=float(dense),
        lexical=float(lexical),
        fused=float(fused),
    )


def open_retriever(settings: IndexSettings | None = None, embedder: Embedder | None = None) -> Retriever:
    """The action server's retriever: settings and model from the environment, following re-index runs.

    Build it once per process (e.g. a functools.cache'd factory); nothing is opened until the first search.
    """
    from knowledge.embeddings import default_embedder
    from knowledge.index.connection import LiveIndex

    settings = IndexSettings.from_env() if settings is None else settings
    return Retriever(LiveIndex(settings), default_embedder() if embedder is None else embedder, settings)
