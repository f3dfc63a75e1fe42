"""`muni index` and `muni search`: build the index, and see what the assistant would find."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.index.records import PageSources
from knowledge.index.settings import IndexSettings

EXTRACT_CHARS = 200

# The crawled websites in a crawl folder (IndexSettings.crawl_dir); the composition root picks the kind.
Websites = Callable[[Path], PageSources]


def register(commands: Any, *, websites: Websites) -> None:
    """Add the sub-commands to the `muni` dispatcher's subparsers; `muni index` reads `websites(crawl_dir)`."""
    index = commands.add_parser("index", help="index the guides and the crawled websites")
    which = index.add_mutually_exclusive_group()
    which.add_argument("--municipality", metavar="SLUG", help="only this municipality")
    which.add_argument("--all", action="store_true", help="every municipality and crawl store (the default)")
    index.set_defaults(handler=functools.partial(run_index, websites=websites))
    search = commands.add_parser("search", help="show what the assistant would find for a question")
    search.add_argument("municipality", metavar="SLUG")
    search.add_argument("question")
    search.add_argument("--limit", type=int, default=5)
    search.set_defaults(handler=run_search)


def run_index(args: argparse.Namespace, *, websites: Websites) -> int:
    try:
        settings = IndexSettings.from_env()
        return _index(settings, websites(settings.crawl_dir), args.municipality)
    except KnowledgeError as error:
        print(f"muni index: {error}", file=sys.stderr)
        return 1


def run_search(args: argparse.Namespace) -> int:
    try:
        return _search(IndexSettings.from_env(), args.municipality, args.question, args.limit)
    except KnowledgeError as error:
        print(f"muni search: {error}", file=sys.stderr)
        return 1


def _index(settings: IndexSettings, websites: PageSources, only: str | None) -> int:
    from knowledge.embeddings import default_embedder
    from knowledge.guides import GuideLibrary
    from knowledge.index.connection import writable_index
    from knowledge.index.guides import guide_topics, rendered_guides
    from knowledge.index.indexer import Indexer, IndexReport
    from knowledge.index.topics import TopicAssigner

    started = time.perf_counter()
    library = GuideLibrary.load()
    crawled = set(websites.municipalities())
    slugs = sorted(set(library.municipalities) | crawled) if only is None else [library.municipality(only).slug]
    embedder = default_embedder()
    answerable = {topic for slug in library.municipalities for topic in guide_topics(library, slug)}
    topics = TopicAssigner.build(library.topics, answerable, embedder, settings.topic_threshold)
    total = IndexReport()
    # Guides log each missing local value at WARNING when rendered; the library's own tests cover that.
    logging.getLogger("muni.knowledge.gaps").setLevel(logging.ERROR)
    with writable_index(settings) as index:
        indexer = Indexer(index, embedder, topics=topics)
        for slug in slugs:
            if slug in library.municipalities:
                report = indexer.index_guides(slug, rendered_guides(library, slug))
                print(f"{slug} guides: {report.line()}")
                total += report
            if slug in crawled:
                with websites.open(slug) as website:
                    report = indexer.index_website(slug, website)
                print(f"{slug} web: {report.line()}")
                total += report
    where = settings.qdrant_url or settings.index_dir
    print(f"total: {total.line()}; {time.perf_counter() - started:.1f} s in all, index at {where}")
    return 0


def _search(settings: IndexSettings, slug: str, question: str, limit: int) -> int:
    from knowledge.embeddings import default_embedder
    from knowledge.index.connection import snapshot_index
    from knowledge.index.retriever import Retriever

    with snapshot_index(settings) as index:
        retriever = Retriever(index, default_embedder(), settings)
        hits = retriever.search(slug, question, limit=limit)
        if not hits:
            print(f"nothing indexed for {slug!r}: the assistant gives the fallback")
            return 0
        for rank, hit in enumerate(hits, start=1):
            extract = " ".join(hit.text.split())[:EXTRACT_CHARS]
            print(
                f"{rank}. [{hit.kind}] topic={hit.topic or '-'} fused={hit.fused:.4f} dense={hit.dense:.3f}"
                f" lexical={hit.lexical:.2f}\n   {hit.title} – {hit.url}\n   {extract}"
            )
        verdict = "answers from hit 1" if retriever.confident(hits[0]) else "below the threshold: fallback"
        print(
            f"threshold {settings.threshold} (with a lemma in common) / {settings.threshold_dense_only}"
            f" (dense only): {verdict}"
        )
    return 0
