"""What the index is built from: crawled pages and their chunks, rendered guides, and where pages come from.

The crawler produces these records and the index consumes them; the index knows nothing of the
crawler. Light on purpose: the crawler's worker processes import it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

GUIDE_URL_PREFIX = "guide:"


@dataclass(frozen=True)
class Chunk:
    """One passage of a crawled page: what is embedded, indexed and quoted to a citizen."""

    municipality: str
    url: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    position: int
    crawled_at: datetime
    content_hash: str  # sha256 hex of `text`


@dataclass(frozen=True)
class StoredPage:
    """A crawled page as a page source keeps it: the page hash decides re-indexing."""

    municipality: str
    url: str
    title: str
    content_hash: str  # sha256 hex of the page's extracted text
    crawled_at: datetime
    chunks: tuple[Chunk, ...] = field(default=())


@dataclass(frozen=True)
class RenderedGuide:
    """One topic's guide rendered with one municipality's values, in the passages that are indexed.

    A guide is written, not crawled: it has no crawl time, and its hash alone decides re-indexing.
    """

    municipality: str
    topic: str
    title: str  # the topic's title
    about: str  # the topic's description ("" when it has none): stands in for headings
    passages: tuple[str, ...]
    content_hash: str  # sha256 hex of title, description and passages

    @property
    def url(self) -> str:
        """The guide's address in the index (what a Hit carries): `guide:<topic>`."""
        return guide_url(self.topic)


class PageSource(Protocol):
    """One municipality's crawled website, as the indexer reads it."""

    def live_pages(self) -> Iterable[StoredPage]:
        """Every page the site serves now, with its chunks."""
        ...

    def gone_urls(self) -> Iterable[str]:
        """Pages the site no longer serves: they leave the index."""
        ...


class PageSources(Protocol):
    """Where `muni index` finds the crawled websites: at most one page source per municipality."""

    def municipalities(self) -> list[str]:
        """The slugs that have a page source, sorted."""
        ...

    def open(self, municipality: str) -> AbstractContextManager[PageSource]:
        """The municipality's page source, closed when the block ends."""
        ...


def guide_url(topic_id: str) -> str:
    return f"{GUIDE_URL_PREFIX}{topic_id}"


def text_hash(text: str) -> str:
    """sha256 hex of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
