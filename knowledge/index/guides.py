"""Guides as indexable pages: every guide rendered with each municipality's own values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import yaml

from knowledge.guides import GuideLibrary
from knowledge.index.records import Chunk, StoredPage
from knowledge.rendering import DEMO_NOTICE

PHRASES_FILE = Path(__file__).resolve().parent / "phrases.yml"
GUIDE_URL_PREFIX = "guide:"
MAX_CHUNK_CHARS = 400
# Guides are not crawled; a fixed time keeps their records (and so their hashes) reproducible.
GUIDE_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def guide_url(topic_id: str) -> str:
    return f"{GUIDE_URL_PREFIX}{topic_id}"


def guide_topics(library: GuideLibrary, slug: str) -> list[str]:
    return [topic_id for topic_id in library.topics if library.has_guide(topic_id, slug)]


def load_phrases(path: Path = PHRASES_FILE) -> dict[str, list[str]]:
    """topic -> how citizens ask about it (phrases.yml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {topic: [str(phrase) for phrase in phrases] for topic, phrases in data["topics"].items()}


def guide_pages(library: GuideLibrary, slug: str, phrases: dict[str, list[str]] | None = None) -> list[StoredPage]:
    """One page per topic the municipality has a guide for: groups of its lines, then its citizen phrases."""
    phrases = load_phrases() if phrases is None else phrases
    pages = []
    for topic_id in guide_topics(library, slug):
        answer = library.answer(topic_id, slug)
        topic = library.topics[topic_id]
        title = topic.title
        # The topic's description stands in for headings: it anchors short tail chunks to their topic.
        headings = (topic.about,) if topic.about else ()
        lines = [line for line in answer.text.split("\n") if line.strip() and line != DEMO_NOTICE]
        url = guide_url(topic_id)
        texts = paragraphs(lines, MAX_CHUNK_CHARS) + phrases.get(topic_id, [])
        chunks = tuple(
            Chunk(slug, url, title, headings, text, position, GUIDE_TIME, _sha(text))
            for position, text in enumerate(texts)
        )
        pages.append(StoredPage(slug, url, title, _sha("\n".join([title, *headings, *texts])), GUIDE_TIME, chunks))
    return pages


def paragraphs(lines: list[str], max_chars: int) -> list[str]:
    """Consecutive lines joined while they fit in max_chars (a longer line stays whole)."""
    out: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > max_chars:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
