"""Guides as the index takes them: every guide rendered with each municipality's own values."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.guides import GuideLibrary
from knowledge.index.records import RenderedGuide, text_hash
from knowledge.rendering import DEMO_NOTICE

PHRASES_FILE = Path(__file__).resolve().parent / "phrases.yml"
MAX_CHUNK_CHARS = 400


def guide_topics(library: GuideLibrary, slug: str) -> list[str]:
    return [topic_id for topic_id in library.topics if library.has_guide(topic_id, slug)]


def load_phrases(path: Path = PHRASES_FILE) -> dict[str, list[str]]:
    """topic -> how citizens ask about it (phrases.yml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {topic: [str(phrase) for phrase in phrases] for topic, phrases in data["topics"].items()}


def rendered_guides(
    library: GuideLibrary, slug: str, phrases: dict[str, list[str]] | None = None
) -> list[RenderedGuide]:
    """One guide per topic the municipality answers: groups of its lines, then its citizen phrases."""
    phrases = load_phrases() if phrases is None else phrases
    guides = []
    for topic_id in guide_topics(library, slug):
        answer = library.answer(topic_id, slug)
        topic = library.topics[topic_id]
        lines = [line for line in answer.text.split("\n") if line.strip() and line != DEMO_NOTICE]
        passages = (*paragraphs(lines, MAX_CHUNK_CHARS), *phrases.get(topic_id, []))
        # Computed as when guides were indexed as pages, so an existing index re-embeds no unchanged guide.
        digest = text_hash("\n".join([topic.title, *([topic.about] if topic.about else []), *passages]))
        guides.append(RenderedGuide(slug, topic_id, topic.title, topic.about, passages, digest))
    return guides


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

