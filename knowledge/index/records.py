"""What the index is built from: crawled pages and their chunks.

The crawler produces these records and the index consumes them; the index knows nothing of the
crawler. Light on purpose: the crawler's worker processes import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
