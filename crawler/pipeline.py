"""What a fetched page becomes: runs in worker processes, off the event loop (extraction is CPU work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.links import page_links
from crawler.urls import SiteScope
from knowledge.index.records import StoredPage


@dataclass(frozen=True)
class ProcessedPage:
    """A page's links, and its content unless it has none worth indexing (or asks not to be indexed)."""

    links: tuple[str, ...]
    page: StoredPage | None


def process_page(body: bytes, url: str, municipality: str, crawled_at: datetime) -> ProcessedPage:
    """Extract, chunk and collect the page's on-site links; top-level so a ProcessPoolExecutor can pickle it."""
    # Imported here so the event-loop process never loads trafilatura and spaCy.
    from crawler.chunking import chunk_page, page_hash
    from crawler.extract import extract

    found = page_links(body, url)
    scope = SiteScope(url)  # the page is on the crawled site, so its site is the crawl's scope
    links = tuple(link for link in found.links if scope.contains(link))
    if found.noindex:
        return ProcessedPage(links=links, page=None)
    extracted = extract(body, url)
    if extracted is None:
        return ProcessedPage(links=links, page=None)
    chunks = chunk_page(extracted, municipality=municipality, url=url, crawled_at=crawled_at)
    page = StoredPage(
        municipality=municipality,
        url=url,
        title=extracted.title,
        content_hash=page_hash(extracted),  # title and text: a renamed page is re-indexed too
        crawled_at=crawled_at,
        chunks=tuple(chunks),
    )
    return ProcessedPage(links=links, page=page)

