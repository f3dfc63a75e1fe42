"""Write pages and guides into the index incrementally: unchanged pages and guides are not embedded again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from knowledge.index.lexical import Lemmatizer, danish_lemmatizer, passage_terms
from knowledge.index.records import PageSource, RenderedGuide, StoredPage, text_hash
from knowledge.index.store import IndexedChunk, KnowledgeIndex
from knowledge.index.topics import TopicAssigner

if TYPE_CHECKING:
    from knowledge.embeddings import Embedder

LOG = logging.getLogger("muni.index")
EMBED_BATCH_CHUNKS = 256  # chunks gathered across pages per encode call (the embedder batches inside)
# Texts embedded in this run, so that a text shared by many municipalities (a guide's citizen
# phrases) is embedded once. Bounded: a whole crawl's vectors are not kept.
CACHE_TEXTS = 20_000

Record = TypeVar("Record", StoredPage, RenderedGuide)


@dataclass(frozen=True)
class IndexReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0

    def __add__(self, other: IndexReport) -> IndexReport:
        return IndexReport(
            self.new + other.new, self.changed + other.changed, self.unchanged + other.unchanged,
            self.gone + other.gone, self.chunks_embedded + other.chunks_embedded, self.seconds + other.seconds,
        )

    def line(self) -> str:
        return (
            f"pages new {self.new}, changed {self.changed}, unchanged {self.unchanged}, gone {self.gone}; "
            f"chunks embedded {self.chunks_embedded}; {self.seconds:.1f} s"
        )


def embedding_text(chunk: IndexedChunk) -> str:
    """What is embedded and lemmatised: the chunk under its page title and headings."""
    context = [part for part in (chunk.title, *chunk.heading_path) if part]
    return " – ".join(context) + "\n" + chunk.text if context else chunk.text


class Indexer:
    """Writes one municipality's pages at a time; counts every chunk it sends to the embedder."""

    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder,
        *,
        topics: TopicAssigner | None = None,
        lemmatizer: Lemmatizer | None = None,
    ):
        self.index = index
        self.embedder = embedder
        self.topics = topics
        self.lemmatizer = danish_lemmatizer() if lemmatizer is None else lemmatizer
        self.embedded = 0
        self._cache: dict[str, np.ndarray] = {}
        index.ensure_collection(embedder.dimension)

    def index_pages(self, municipality: str, pages: Iterable[StoredPage], gone_urls: Iterable[str]) -> IndexReport:
        """Bring the municipality's website up to date with a page source's live pages and gone urls."""
        return self._index(municipality, "web", pages, web_chunks, gone_urls)

    def index_website(self, municipality: str, source: PageSource) -> IndexReport:
        """index_pages() from a page source (a crawl store)."""
        return self.index_pages(municipality, source.live_pages(), source.gone_urls())

    def index_guides(self, municipality: str, guides: Iterable[RenderedGuide]) -> IndexReport:
        """All the guides the municipality answers (guides.rendered_guides): any other guide indexed for it goes."""
        guides = list(guides)
        gone = set(self.index.page_hashes(municipality, "guide")) - {guide.url for guide in guides}
        return self._index(municipality, "guide", guides, guide_chunks, gone)

    def _index(
        self,
        municipality: str,
        kind: str,
        records: Iterable[Record],
        chunks_of: Callable[[Record], list[IndexedChunk]],
        gone_urls: Iterable[str],
    ) -> IndexReport:
        started, embedded_before = time.perf_counter(), self.embedded
        known = self.index.page_hashes(municipality, kind)
        new = changed = unchanged = 0
        pending: list[tuple[str | None, list[IndexedChunk]]] = []  # (url of the indexed page it replaces, chunks)
        for record in records:
            if record.municipality != municipality:
                raise ValueError(f"{record.url} belongs to {record.municipality!r}, not {municipality!r}")
            indexed = known.get(record.url)
            if indexed == record.content_hash:
                unchanged += 1
                continue
            chunks = chunks_of(record)
            if indexed is None:
                new += 1
            else:
                changed += 1
            pending.append((None if indexed is None else record.url, chunks))
            if sum(len(c) for _, c in pending) >= EMBED_BATCH_CHUNKS:
                self._write(municipality, pending)
                pending = []
        if pending:
            self._write(municipality, pending)
        gone = sorted(set(gone_urls) & set(known))
        self.index.delete_urls(municipality, gone)
        return IndexReport(
            new, changed, unchanged, len(gone), self.embedded - embedded_before, time.perf_counter() - started
        )

    def _write(self, municipality: str, pending: list[tuple[str | None, list[IndexedChunk]]]) -> None:
        chunks = [chunk for _, page_chunks in pending for chunk in page_chunks]
        texts = [embedding_text(chunk) for chunk in chunks]
        dense = self._encode(texts)
        if self.topics is not None:
            chunks = [
                chunk if chunk.kind == "guide" else replace(chunk, topic=self.topics.topic(vector))
                for chunk, vector in zip(chunks, dense, strict=True)
            ]
        lexical = [passage_terms(self.lemmatizer.lemmas(text)) for text in texts]
        # A changed page may now have fewer chunks: its old points go before the new ones are written.
        self.index.delete_urls(municipality, [url for url, _ in pending if url is not None])
        if chunks:
            self.index.upsert(chunks, dense, lexical)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        todo = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if todo:
            vectors = np.asarray(self.embedder.encode_passages(todo), dtype=np.float32)
            self.embedded += len(todo)
            if len(self._cache) + len(todo) > CACHE_TEXTS:
                self._cache.clear()
            found = dict(zip(todo, vectors, strict=True))
            self._cache.update(found)
        else:
            found = {}
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.stack([found[text] if text in found else self._cache[text] for text in texts])


def web_chunks(page: StoredPage) -> list[IndexedChunk]:
    """A crawled page's chunks as stored (the topic is assigned when they are embedded)."""
    return [
        IndexedChunk(
            municipality=page.municipality, kind="web", topic=None, url=page.url, title=page.title,
            heading_path=chunk.heading_path, text=chunk.text, position=chunk.position,
            content_hash=chunk.content_hash, page_hash=page.content_hash, crawled_at=chunk.crawled_at.isoformat(),
        )
        for chunk in page.chunks
        if chunk.text.strip()
    ]


def guide_chunks(guide: RenderedGuide) -> list[IndexedChunk]:
    """A guide's passages as stored: its topic, its `guide:<topic>` url, its description as heading; no crawl time."""
    headings = (guide.about,) if guide.about else ()
    return [
        IndexedChunk(
            municipality=guide.municipality, kind="guide", topic=guide.topic, url=guide.url, title=guide.title,
            heading_path=headings, text=text, position=position,
            content_hash=text_hash(text), page_hash=guide.content_hash, crawled_at=None,
        )
        for position, text in enumerate(guide.passages)
        if text.strip()
    ]
