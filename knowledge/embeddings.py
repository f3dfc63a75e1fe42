"""Sentence embeddings for the index: queries and passages as L2-normalised float32 vectors.

The default model is multilingual-e5-small, rebuilt offline by ``make setup``
(``knowledge/setup/build_e5.py``) into ``build/multilingual-e5-small``. Torch
and sentence-transformers are imported on first use, never at import time.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from sentence_transformers import SentenceTransformer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_DIR = ROOT / "build" / "multilingual-e5-small"
DEFAULT_BATCH_SIZE = 32
QUERY_PROMPT = "query"
PASSAGE_PROMPT = "passage"


class EmbeddingError(KnowledgeError):
    """The embedding model is misconfigured or cannot be loaded."""


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(n, dimension) vectors for search queries."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(n, dimension) vectors for the documents searched."""
        ...


@dataclass(frozen=True)
class EmbeddingSettings:
    model: str  # a sentence-transformers folder or model name
    batch_size: int = DEFAULT_BATCH_SIZE
    threads: int | None = None  # torch's CPU threads; None leaves torch's default

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, default_model: Path = DEFAULT_MODEL_DIR
    ) -> EmbeddingSettings:
        """MUNI_EMBEDDING_MODEL, _BATCH and _THREADS; raise EmbeddingError naming the bad one."""
        env = os.environ if environ is None else environ
        model = (env.get("MUNI_EMBEDDING_MODEL") or "").strip()
        if not model:
            if not (default_model / "modules.json").is_file():
                raise EmbeddingError(
                    f"MUNI_EMBEDDING_MODEL is not set and the default model folder {default_model} "
                    "has not been built: run make setup (or point MUNI_EMBEDDING_MODEL at a "
                    "sentence-transformers folder)"
                )
            model = str(default_model)
        raw_batch = (env.get("MUNI_EMBEDDING_BATCH") or "").strip()
        batch_size = DEFAULT_BATCH_SIZE
        if raw_batch:
            if not raw_batch.isdigit() or int(raw_batch) == 0:
                raise EmbeddingError(f"MUNI_EMBEDDING_BATCH must be a positive whole number, got {raw_batch!r}")
            batch_size = int(raw_batch)
        raw_threads = (env.get("MUNI_EMBEDDING_THREADS") or "").strip()
        threads = None
        if raw_threads:
            if not raw_threads.isdigit() or int(raw_threads) == 0:
                raise EmbeddingError(f"MUNI_EMBEDDING_THREADS must be a positive whole number, got {raw_threads!r}")
            threads = int(raw_threads)
        return cls(model=model, batch_size=batch_size, threads=threads)


class SentenceTransformerEmbedder:
    """An Embedder over a sentence-transformers model, loaded offline on first use."""

    def __init__(self, model: str | Path, *, batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.model = str(model)
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()
        self._loaded: SentenceTransformer | None = None

    @property
    def name(self) -> str:
        path = Path(self.model)
        return path.name if path.is_dir() else self.model

    @property
    def dimension(self) -> int:
        model = self._transformer()
        # sentence-transformers 6 renamed the method; 5.x has only the old name.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dimension = getter()
        if dimension is None:
            raise EmbeddingError(f"embedding model {self.model} does not say its dimension")
        return int(dimension)

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._encode(texts, QUERY_PROMPT)

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._encode(texts, PASSAGE_PROMPT)

    def _encode(self, texts: Sequence[str], prompt_name: str) -> NDArray[np.float32]:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not one string")
        model = self._transformer()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _transformer(self) -> SentenceTransformer:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> SentenceTransformer:
        # Nothing may be downloaded at run time: a name that is not already on disk fails here.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if self.threads is not None:
            # One thread per query suits a server sharing its cores with Rasa: measured here,
            # torch's default 2 threads gave p50 372 ms per query under load, 1 thread 22 ms.
            import torch

            torch.set_num_threads(self.threads)
        try:
            model = SentenceTransformer(self.model, device="cpu", local_files_only=True)
        except (OSError, ValueError) as error:
            raise EmbeddingError(f"cannot load the embedding model {self.model}: {error}") from error
        missing = {QUERY_PROMPT, PASSAGE_PROMPT} - set(model.prompts)
        if missing:
            raise EmbeddingError(f"embedding model {self.model} has no {' or '.join(sorted(missing))} prompt")
        return model


async def aencode_queries(embedder: Embedder, texts: Sequence[str]) -> NDArray[np.float32]:
    """encode_queries off the event loop."""
    return await asyncio.to_thread(embedder.encode_queries, texts)


async def aencode_passages(embedder: Embedder, texts: Sequence[str]) -> NDArray[np.float32]:
    """encode_passages off the event loop."""
    return await asyncio.to_thread(embedder.encode_passages, texts)


@functools.cache
def default_embedder() -> SentenceTransformerEmbedder:
    """The process's one embedder, from MUNI_EMBEDDING_* (the model itself loads on first use)."""
    settings = EmbeddingSettings.from_env()
    return SentenceTransformerEmbedder(settings.model, batch_size=settings.batch_size, threads=settings.threads)
