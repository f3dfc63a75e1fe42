"""Fixtures for the index tests: pages built like the crawler's, a fake embedder, in-memory indexes."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from knowledge.index.lexical import Lemmatizer, danish_lemmatizer
from knowledge.index.records import Chunk, StoredPage
from knowledge.index.settings import IndexSettings
from knowledge.index.store import KnowledgeIndex

CRAWLED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class HashingEmbedder:
    """A deterministic Embedder: hashed bag of Danish lemmas, normalised. Counts what it encodes."""

    name = "hashing-test-embedder"
    dimension = 256

    def __init__(self, lemmatizer: Lemmatizer):
        self.lemmatizer = lemmatizer
        self.encoded = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for lemma in self.lemmatizer.lemmas(text):
                out[row, zlib.crc32(lemma.encode()) % self.dimension] += 1.0
            out[row, 0] += 0.01  # never the zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_page(municipality: str, url: str, title: str, *texts: str, version: str = "") -> StoredPage:
    """A crawled page with one chunk per text; its hash follows its texts (and version)."""
    chunks = tuple(
        Chunk(municipality, url, title, (title,), text, position, CRAWLED_AT, sha(text))
        for position, text in enumerate(texts)
    )
    return StoredPage(municipality, url, title, sha("\n".join(texts) + version), CRAWLED_AT, chunks)


@pytest.fixture(scope="session")
def lemmatizer() -> Lemmatizer:
    return danish_lemmatizer()


@pytest.fixture
def embedder(lemmatizer: Lemmatizer) -> HashingEmbedder:
    return HashingEmbedder(lemmatizer)


@pytest.fixture
def memory_index() -> KnowledgeIndex:
    return KnowledgeIndex(QdrantClient(":memory:"), "test_knowledge")


@pytest.fixture
def settings(tmp_path: Path) -> IndexSettings:
    return IndexSettings(index_dir=tmp_path / "index", crawl_dir=tmp_path / "crawl")


@pytest.fixture
def pages() -> Callable[..., StoredPage]:
    return make_page
