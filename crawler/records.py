"""The values the crawler hands to the index: pages and their chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Chunk:
    """One passage of a page: what is embedded, indexed and quoted to a citizen."""

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
    """A page as the crawl store keeps it: the page hash decides re-indexing."""

    municipality: str
    url: str
    title: str
    content_hash: str  # sha256 hex of the page's extracted text
    crawled_at: datetime
    chunks: tuple[Chunk, ...] = field(default=())
