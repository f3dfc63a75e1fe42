"""Questions no guide answers confidently: look in the guides' index and on the municipality's own website.

The retriever (knowledge.index) searches only the citizen's municipality and
returns a passage only above its calibrated threshold. The fallback actions
answer a guide passage with the whole guide and a web passage with a short
extract, its page title and its link; the guide action lets a web passage win
only when the chosen guide is not among the top hits. Nothing found, or the
index down, means the caller's own answer: the guide, or the honest fallback.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import municipality_name, municipality_slug, report, say
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from knowledge.index.retriever import Hit, Retriever

logger = logging.getLogger("muni.actions.website")

EXTRACT_CHARS = 450
GUIDE_CHECK_DEPTH = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


class Search(Protocol):
    async def abest(self, municipality: str, question: str) -> Hit | None: ...

    async def asearch(self, municipality: str, question: str, *, limit: int = 5) -> list[Hit]: ...

    def confident(self, hit: Hit) -> bool: ...

    async def ahas_web_pages(self, municipality: str) -> bool: ...


# What the fallback actions are given: a factory, so the model loads on first use only.
KnowledgeSearch = Callable[[], Search]


@functools.cache
def retriever() -> Retriever:
    """The action server's one retriever, opened on first use (the embedding model is heavy)."""
    from knowledge.index.retriever import open_retriever

    return open_retriever()


class Warmup:
    """Whether the action server has loaded the model and opened the index since it started."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: str | None = None


@functools.cache
def warmup() -> Warmup:
    return Warmup()


async def warm_knowledge() -> None:
    """Load the embedding model and open the index now, so no citizen waits for it (server start)."""
    state = warmup()
    try:
        await asyncio.to_thread(_warm)
    except KnowledgeError as error:
        state.error = str(error)
        logger.warning("knowledge index not ready at start: %s", error)
    except Exception as error:  # a broken model or torch: /knowledge/health must say so, not hang "warming"
        state.error = f"{type(error).__name__}: {error}"
        logger.exception("loading the embedding model failed")
    else:
        logger.info("knowledge index and embedding model ready")
    state.done.set()


def _warm() -> None:
    if _count() > 0:  # an empty or unbuilt index needs no model
        from knowledge.index.lexical import danish_lemmatizer

        retriever().embedder.encode_queries(["pas"])
        danish_lemmatizer().lemmas("pas")  # spaCy and the lemma table: 3.5 s the first time


async def knowledge_health() -> dict[str, Any]:
    """For /readyz: the index opens and holds passages, and the model is loaded (not ready while warming)."""
    state = warmup()
    if not state.done.is_set():
        return {"status": "warming", "reason": "loading the embedding model and opening the index"}
    if state.error is not None:  # try again: the index may have been built since
        try:
            await asyncio.to_thread(_warm)
        except KnowledgeError as error:
            return {"status": "unavailable", "reason": str(error)}
        state.error = None
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
    from knowledge.index.store import index_errors

    with index_errors("counting the index's passages"), search.source.use() as index:
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


async def best_passage(tracker: Tracker, knowledge: KnowledgeSearch) -> Hit | None:
    """The index's confident passage for the citizen's question in their municipality, if any."""
    slug, question = _question(tracker)
    if slug is None:
        return None
    try:
        return await knowledge().abest(slug, question)
    except KnowledgeError as error:
        logger.warning("knowledge index unavailable for %s: %s", slug, error)
        return None


async def better_web_passage(tracker: Tracker, topic: str, knowledge: KnowledgeSearch) -> Hit | None:
    """A web passage that answers better than the guide the NLU chose, or None (the guide wins).

    The NLU may pick a guide that covers the question only in general (Borgerservice's opening
    hours for "when is the swimming pool open"). The website wins only when its passage is
    confident, is about another topic, and no passage of the chosen guide is among the top hits.
    """
    slug, question = _question(tracker)
    if slug is None:
        return None
    search = knowledge()
    try:
        if not await search.ahas_web_pages(slug):
            return None  # no crawled website for this municipality: the guide, without a search
        hits = await search.asearch(slug, question, limit=GUIDE_CHECK_DEPTH)
    except KnowledgeError as error:
        logger.warning("knowledge index unavailable for %s: %s", slug, error)
        return None
    if not hits or hits[0].kind != "web" or hits[0].topic == topic or not search.confident(hits[0]):
        return None
    if any(hit.kind == "guide" and hit.topic == topic for hit in hits):
        return None
    return hits[0]


def _question(tracker: Tracker) -> tuple[str | None, str]:
    slug = municipality_slug(tracker)
    question = (tracker.latest_message.get("text") or "").strip()
    if not question or question.startswith("/"):
        return None, question
    return slug, question


def answer_web(dispatcher: CollectingDispatcher, hit: Hit, slug: str, language: str = "da") -> list[dict[str, Any]]:
    """A passage of the municipality's website, quoted as it stands, introduced in `language`."""
    say(
        dispatcher,
        "web_answer",
        language,
        municipality_name=municipality_name(slug, language),
        title=hit.title,
        extract=extract(hit.text),
    )
    report(dispatcher, topic=hit.topic, source="web", links=[{"title": hit.title, "url": hit.url}])
    return [SlotSet("failed_turns", 0)]
