"""Which of a page's links join the frontier: on the site, within depth, not a trap, not seen in this run."""

from __future__ import annotations

from collections.abc import Iterable

from crawler.settings import CrawlLimits
from crawler.store import CrawlStore
from crawler.urls import SiteScope, looks_like_trap, numeric_key, query_key


def queue_links(
    store: CrawlStore, scope: SiteScope, limits: CrawlLimits, links: Iterable[str], depth: int
) -> tuple[str, ...]:
    """Queue the new links at `depth` within the trap bounds; returns the page's in-scope links (all depths)."""
    scoped = tuple(link for link in links if scope.contains(link) and not looks_like_trap(link, limits.max_url_length))
    if depth > limits.max_depth:
        return scoped
    admitted: list[tuple[str, int, str | None]] = []
    for link in store.unseen(list(scoped)):
        # Each URL of a trap-prone shape counts once, when first seen in the run; past the bound it is dropped.
        by_query, by_shape = query_key(link), numeric_key(link)
        if by_query is not None and store.count_variant(f"q {by_query}") > limits.max_query_variants_per_path:
            continue
        if by_shape is not None and store.count_variant(f"n {by_shape}") > limits.max_numeric_path_variants:
            continue
        admitted.append((link, depth, None))
    store.enqueue(admitted)
    return scoped
