"""The Qdrant collection behind retrieval: one point per chunk, dense and lexical vectors."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import QdrantClient
from qdrant_client import models as qm

from knowledge.index.lexical import SparseTerms

DENSE = "dense"
LEXICAL = "lexical"
KINDS = frozenset({"guide", "web"})
KEYWORD_FIELDS = ("municipality", "kind", "topic", "url")
POINT_NAMESPACE = uuid.UUID("6f0f3c3e-2b7e-5d43-9a57-4d756e690001")
UPSERT_BATCH = 256


def point_id(municipality: str, url: str, position: int) -> str:
    """Deterministic: re-indexing a chunk overwrites its point instead of adding one."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{municipality}\n{url}\n{position}"))


@dataclass(frozen=True)
class IndexedChunk:
    """What is stored for one chunk besides its vectors."""

    municipality: str
    kind: str  # "guide" | "web"
    topic: str | None
    url: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    position: int
    content_hash: str  # of the chunk text
    page_hash: str  # of the whole page (guide: of its rendered text); decides re-indexing
    crawled_at: str  # ISO 8601

    def payload(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "kind": self.kind,
            "topic": self.topic,
            "url": self.url,
            "title": self.title,
            "heading_path": list(self.heading_path),
            "text": self.text,
            "position": self.position,
            "content_hash": self.content_hash,
            "page_hash": self.page_hash,
            "crawled_at": self.crawled_at,
        }


def _in(municipality: str, *more: qm.FieldCondition) -> qm.Filter:
    return qm.Filter(must=[qm.FieldCondition(key="municipality", match=qm.MatchValue(value=municipality)), *more])


def _is(key: str, value: str) -> qm.FieldCondition:
    return qm.FieldCondition(key=key, match=qm.MatchValue(value=value))


class KnowledgeIndex:
    """The collection, local or on a server; every read is filtered by one municipality."""

    def __init__(self, client: QdrantClient, collection: str):
        self.client = client
        self.collection = collection

    def ensure_collection(self, dimension: int) -> None:
        if self.client.collection_exists(self.collection):
            size = self.client.get_collection(self.collection).config.params.vectors[DENSE].size  # type: ignore[index]
            if size != dimension:
                raise ValueError(
                    f"collection {self.collection!r} holds {size}-dimensional vectors, the embedder gives"
                    f" {dimension}: re-index into a new collection (MUNI_INDEX_COLLECTION)"
                )
            return
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: qm.VectorParams(size=dimension, distance=qm.Distance.COSINE)},
            sparse_vectors_config={LEXICAL: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
        )
        with warnings.catch_warnings():
            # Local mode ignores payload indexes (and warns so); a server uses them for the filters.
            warnings.simplefilter("ignore", UserWarning)
            for field in KEYWORD_FIELDS:
                self.client.create_payload_index(self.collection, field, qm.PayloadSchemaType.KEYWORD)

    def page_hashes(self, municipality: str, kind: str) -> dict[str, str]:
        """url -> page hash of every page of this kind indexed for the municipality."""
        hashes: dict[str, str] = {}
        offset: Any = None
        while True:
            points, offset = self.client.scroll(
                self.collection,
                scroll_filter=_in(municipality, _is("kind", kind)),
                limit=1024,
                offset=offset,
                with_payload=["url", "page_hash"],
                with_vectors=False,
            )
            for point in points:
                payload = point.payload or {}
                hashes[payload["url"]] = payload["page_hash"]
            if offset is None:
                return hashes

    def replace_page(
        self, chunks: Sequence[IndexedChunk], dense: np.ndarray, lexical: Sequence[SparseTerms]
    ) -> None:
        """Drop the page's old points (it may have had more chunks), then write the new ones."""
        first = chunks[0]
        self.delete_urls(first.municipality, [first.url])
        self.upsert(chunks, dense, lexical)

    def upsert(self, chunks: Sequence[IndexedChunk], dense: np.ndarray, lexical: Sequence[SparseTerms]) -> None:
        points = [
            qm.PointStruct(
                id=point_id(chunk.municipality, chunk.url, chunk.position),
                vector={
                    DENSE: vector.tolist(),
                    LEXICAL: qm.SparseVector(indices=terms.indices, values=terms.values),
                },
                payload=chunk.payload(),
            )
            for chunk, vector, terms in zip(chunks, dense, lexical, strict=True)
        ]
        for start in range(0, len(points), UPSERT_BATCH):
            self.client.upsert(self.collection, points[start : start + UPSERT_BATCH], wait=True)

    def delete_urls(self, municipality: str, urls: Iterable[str]) -> None:
        for url in urls:
            self.client.delete(
                self.collection, points_selector=qm.FilterSelector(filter=_in(municipality, _is("url", url)))
            )

    def dense_search(self, municipality: str, vector: np.ndarray, limit: int) -> list[qm.ScoredPoint]:
        return self.client.query_points(
            self.collection, query=vector.tolist(), using=DENSE, query_filter=_in(municipality),
            limit=limit, with_payload=True,
        ).points

    def lexical_search(self, municipality: str, terms: SparseTerms, limit: int) -> list[qm.ScoredPoint]:
        if not terms.indices:
            return []
        query = qm.SparseVector(indices=terms.indices, values=terms.values)
        return self.client.query_points(
            self.collection, query=query, using=LEXICAL, query_filter=_in(municipality),
            limit=limit, with_payload=True,
        ).points

    def count(self, municipality: str | None = None) -> int:
        where = None if municipality is None else _in(municipality)
        return self.client.count(self.collection, count_filter=where, exact=True).count

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def use(self) -> Iterator[KnowledgeIndex]:
        """This index as an IndexSource for a Retriever."""
        yield self
