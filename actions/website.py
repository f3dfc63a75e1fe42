"""Questions no guide answers confidently: look in the guides' index and on the municipality's own website.

The retriever (knowledge.index) searches only the citizen's municipality and
returns a passage only above its calibrated threshold. A guide passage is
answered with the whole guide; a web passage with a short extract, its page
title and its link. Nothing found, or the index down, means the caller's own
fallback: say so honestly and offer a human.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guides import answer_guide
from actions.replies import municipality_name, municipality_slug, report, say
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from knowledge.index.retriever import Hit, Retriever

logger = logging.getLogger("muni.actions.website")

EXTRACT_CHARS = 450
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


class BestPassage(Protocol):
    async def abest(self, municipality: str, question: str) -> Hit | None: ...


# What the fallback actions are given: a factory, so the model loads on first use only.
KnowledgeSearch = Callable[[], BestPassage]


@functools.cache
def retriever() -> Retriever:
    """The action server's one retriever, opened on first use (the embedding model is heavy)."""
    from knowledge.index.retriever import open_retriever

    return open_retriever()


async def warm_knowledge() -> None:
    """Load the embedding model and open the index now, so no citizen waits for it (server start)."""
    try:
        await asyncio.to_thread(_warm)
    except KnowledgeError as error:
        logger.warning("knowledge index not ready at start: %s", error)
    else:
        logger.info("knowledge index and embedding model ready")


def _warm() -> None:
    search = retriever()
    search.embedder.encode_queries(["pas"])
    _count()


async def knowledge_health() -> dict[str, Any]:
    """For /readyz: the index opens and holds passages (the model loads on its own time)."""
    try:
        points = await asyncio.to_thread(_count)
    except KnowledgeError as error:
        return {"status": "unavailable", "reason": str(error)}
    if points == 0:
        return {"status": "empty", "reason": "the index holds no passages: run `muni index`"}
    return {"status": "ok", "passages": points}


def _count() -> int:
    from knowledge.index.generations import Generations

    search = retriever()
    if search.settings.local and Generations(search.settings.index_dir).current() is None:
        return 0  # never built: the guides still answer through their intents
    with search.source.use() as index:
        return index.count()


def extract(text: str, limit: int = EXTRACT_CHARS) -> str:
    """The passage cut after a whole sentence near ``limit`` characters (never mid-word)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max((m.start() for m in _SENTENCE_END.finditer(text, 0, limit)), default=0)
    if cut < limit // 3:
        cut = text.rfind(" ", 0, limit)
        return text[: max(cut, 1)].rstrip(",;:") + " …"
    return text[:cut]


async def answer_from_knowledge(
    dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: KnowledgeSearch
) -> list[dict[str, Any]] | None:
    """Answer from the index if it finds something good enough; None lets the caller fall back."""
    slug = municipality_slug(tracker)
    question = (tracker.latest_message.get("text") or "").strip()
    if not slug or not question or question.startswith("/"):
        return None
    try:
        hit = await knowledge().abest(slug, question)
    except KnowledgeError as error:
        logger.warning("knowledge index unavailable for %s: %s", slug, error)
        return None
    if hit is None:
        return None
    if hit.kind == "guide" and hit.topic:
        return answer_guide(dispatcher, hit.topic, slug)
    return _answer_web(dispatcher, hit, slug)


def _answer_web(dispatcher: CollectingDispatcher, hit: Hit, slug: str) -> list[dict[str, Any]]:
    say(
        dispatcher,
        "web_answer",
        municipality_name=municipality_name(slug),
        title=hit.title,
        extract=extract(hit.text),
    )
    report(dispatcher, topic=hit.topic, source="web", links=[{"title": hit.title, "url": hit.url}])
    return [SlotSet("failed_turns", 0)]
