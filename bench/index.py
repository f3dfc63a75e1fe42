"""Index benchmark (`make bench-index`): embedding, index build and re-index, search latency at 50,000 chunks.

`python -m bench.index [CRAWL_DIR]` – CRAWL_DIR holds crawl stores (<slug>.sqlite), by default
build/bench/crawl from `make bench-crawl`; without one, pages are generated from the guides (said so).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import numpy as np

from knowledge.embeddings import Embedder, default_embedder
from knowledge.guides import GuideLibrary
from knowledge.index.connection import open_local
from knowledge.index.guides import rendered_guides
from knowledge.index.indexer import Indexer, embedding_text
from knowledge.index.lexical import danish_lemmatizer, passage_terms
from knowledge.index.records import Chunk, StoredPage, text_hash
from knowledge.index.retriever import Retriever
from knowledge.index.settings import IndexSettings
from knowledge.index.store import IndexedChunk

ROOT = Path(__file__).resolve().parents[1]
THROUGHPUT_CHUNKS = 512
BUILD_PAGES = 300  # pages indexed for the build figure (a 20,000-page crawl would take hours on 2 cores)
POINTS = 50_000
MUNICIPALITIES = 45
SEARCHES = 200
QUESTIONS = [
    "Hvad koster et nyt pas?", "Hvornår bliver min skraldespand tømt?", "Hvordan melder jeg flytning?",
    "Hvornår har Borgerservice åbent?", "Kan jeg få boligstøtte?", "Hvordan får jeg hentet storskrald?",
    "Jeg har mistet mit sundhedskort", "Hvordan skifter jeg læge?", "Hvornår har svømmehallen åbent?",
    "Skal jeg have byggetilladelse til en carport?",
]


def crawl_pages(crawl_dir: Path) -> tuple[str, list[StoredPage]] | None:
    """The first live pages of the first crawl store in the folder, or None when it holds none."""
    from crawler.sources import CrawlStores

    websites = CrawlStores(crawl_dir)
    slugs = websites.municipalities()
    if not slugs:
        return None
    with websites.open(slugs[0]) as store:
        return slugs[0], list(islice(store.live_pages(), BUILD_PAGES))


def generated_pages(library: GuideLibrary) -> tuple[str, list[StoredPage]]:
    """Web-like pages from the guides of every municipality, re-labelled as one municipality's site."""
    generated_at = datetime.now(UTC)
    pages = []
    for slug in library.municipalities:
        for guide in rendered_guides(library, slug, phrases={}):
            url = f"https://bench.example/{slug}/{guide.topic}"
            chunks = tuple(
                Chunk("bench", url, guide.title, (), text, position, generated_at, text_hash(text))
                for position, text in enumerate(guide.passages)
            )
            pages.append(StoredPage("bench", url, guide.title, guide.content_hash, generated_at, chunks))
    return "bench", pages[:BUILD_PAGES]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crawl_dir", nargs="?", type=Path, default=ROOT / "build" / "bench" / "crawl")
    args = parser.parse_args(argv)
    logging.getLogger("muni.knowledge.gaps").setLevel(logging.ERROR)
    library = GuideLibrary.load()
    embedder = default_embedder()
    lemmatizer = danish_lemmatizer()

    found = crawl_pages(args.crawl_dir)
    if found is None:
        slug, pages = generated_pages(library)
        print(f"no crawl store in {args.crawl_dir}: {len(pages)} pages generated from the guides' texts")
    else:
        slug, pages = found
        print(f"crawl store {args.crawl_dir / (slug + '.sqlite')}: its first {len(pages)} live pages")
    chunks = [c for p in pages for c in p.chunks if c.text.strip()]
    texts = [c.text for c in chunks][:THROUGHPUT_CHUNKS]

    embedder.encode_passages(texts[:32])  # load the model, warm up
    started = time.perf_counter()
    vectors = embedder.encode_passages(texts)
    seconds = time.perf_counter() - started
    print(f"embedding: {len(texts)} chunks of real Danish text at batch {embedder.batch_size}: "
          f"{len(texts) / seconds:.1f} chunks/s ({seconds:.1f} s, mean {statistics.mean(map(len, texts)):.0f} chars)")

    with tempfile.TemporaryDirectory(prefix="muni-bench-index-") as tmp:
        settings = IndexSettings(index_dir=Path(tmp) / "index", crawl_dir=args.crawl_dir)
        index = open_local(Path(tmp) / "build", settings.collection)
        indexer = Indexer(index, embedder, lemmatizer=lemmatizer)
        first = indexer.index_pages(slug, pages, [])
        rate = first.chunks_embedded / first.seconds
        print(f"index build ({slug}, local mode, {len(chunks)} chunks, identical texts embedded once): {first.line()};"
              f" {rate:.1f} embedded chunks/s end to end (embedding, lemmas, writes)")
        again = indexer.index_pages(slug, pages, [])
        print(f"re-index of the unchanged pages: {again.line()} -> re-embedded {again.chunks_embedded}"
              f" ({'OK' if again.chunks_embedded == 0 else 'FAIL'})")
        index.close()
        search_at_scale(Path(tmp) / "big", chunks[: len(vectors)], vectors, embedder, settings)
    return 0


def search_at_scale(
    path: Path, chunks: list[Chunk], vectors: np.ndarray, embedder: Embedder, settings: IndexSettings
) -> None:
    lemmatizer = danish_lemmatizer()
    terms = [passage_terms(lemmatizer.lemmas(embedding_text(_indexed(c)))) for c in chunks]
    rng = np.random.default_rng(7)
    index = open_local(path, settings.collection)
    index.ensure_collection(vectors.shape[1])
    started = time.perf_counter()
    for m in range(MUNICIPALITIES):
        ids = range(m, POINTS, MUNICIPALITIES)
        noise = rng.normal(0, 0.02, (len(ids), vectors.shape[1])).astype(np.float32)
        noisy = vectors[[i % len(vectors) for i in ids]] + noise
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        points = [_indexed(chunks[i % len(chunks)], municipality=f"m{m:02d}", url_suffix=str(i)) for i in ids]
        index.upsert(points, noisy, [terms[i % len(terms)] for i in ids])
    built = time.perf_counter() - started
    index.close()
    started = time.perf_counter()
    index = open_local(path, settings.collection)
    opened = time.perf_counter() - started
    print(f"50k collection: {POINTS} points = {len(vectors)} embedded real chunks repeated with noise on the vector,"
          f" over {MUNICIPALITIES} municipalities (~{POINTS // MUNICIPALITIES} each); written in {built:.1f} s,"
          f" reopened in {opened:.1f} s (a live reader loads a new generation in the background)")
    retriever = Retriever(index, embedder, settings)
    query_vectors = embedder.encode_queries(QUESTIONS)
    total, index_only = [], []
    for n in range(SEARCHES):
        municipality = f"m{n % MUNICIPALITIES:02d}"
        question = QUESTIONS[n % len(QUESTIONS)]
        started = time.perf_counter()
        retriever.search(municipality, question, limit=5)
        total.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.dense_search(municipality, query_vectors[n % len(QUESTIONS)], 20)
        index.lexical_search(municipality, passage_terms(lemmatizer.lemmas(question)), 20)
        index_only.append((time.perf_counter() - started) * 1000)
    print(f"hybrid search at {POINTS} chunks, local mode, {SEARCHES} searches:"
          f" p50 {percentile(total, 50):.0f} ms, p95 {percentile(total, 95):.0f} ms (query embedding included);"
          f" index only (dense + lexical): p50 {percentile(index_only, 50):.0f} ms,"
          f" p95 {percentile(index_only, 95):.0f} ms")
    index.close()


def _indexed(chunk: Chunk, municipality: str | None = None, url_suffix: str = "") -> IndexedChunk:
    return IndexedChunk(
        municipality=municipality or chunk.municipality, kind="web", topic=None, url=chunk.url + url_suffix,
        title=chunk.title, heading_path=tuple(chunk.heading_path), text=chunk.text, position=chunk.position,
        content_hash=chunk.content_hash, page_hash=chunk.content_hash, crawled_at=chunk.crawled_at.isoformat(),
    )


if __name__ == "__main__":
    sys.exit(main())
