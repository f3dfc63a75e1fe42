"""Seeding a crawl from the site's sitemaps: those robots.txt names and /sitemap.xml, indexes followed, bounded."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable

from crawler.fetch import FetchFailed, FetchResult, RedirectSkipped
from crawler.politeness import RobotsCache
from crawler.settings import CrawlLimits
from crawler.sitemaps import SitemapError, parse_sitemap
from crawler.store import CrawlStore
from crawler.urls import SiteScope, normalise, origin, path_and_query

log = logging.getLogger(__name__)


async def seed_from_sitemaps(
    root: str,
    store: CrawlStore,
    robots: RobotsCache,
    limits: CrawlLimits,
    fetch: Callable[[str], Awaitable[FetchResult]],
) -> int:
    """Queue the site's sitemap URLs (depth 0, with their lastmod); returns how many were listed."""
    scope = SiteScope(root)
    policy = await robots.policy(origin(root))
    if policy.refusal is not None:
        return 0
    candidates = [normalise(url) for url in policy.sitemaps] + [f"{origin(root)}/sitemap.xml"]
    pending = deque(dict.fromkeys(url for url in candidates if url is not None and scope.contains(url)))
    seen = set(pending)
    fetched = listed = 0
    while pending and fetched < limits.max_sitemaps and listed < limits.max_sitemap_urls:
        url = pending.popleft()
        fetched += 1
        if not policy.allows(path_and_query(url)):
            continue
        try:
            result = await fetch(url)
        except (FetchFailed, RedirectSkipped) as exc:
            log.info("sitemap %s not read: %s", url, exc)
            continue
        if result.status != 200 or result.body is None:
            log.info("sitemap %s not read: HTTP %s", url, result.status)
            continue
        try:
            sitemap = parse_sitemap(
                result.body, max_bytes=limits.max_sitemap_bytes, max_urls=limits.max_sitemap_urls - listed
            )
        except (SitemapError, ValueError) as exc:
            log.info("sitemap %s not read: %s", url, exc)
            continue
        entries = []
        for entry in sitemap.pages:
            page = normalise(entry.url)
            if page is not None and scope.contains(page):
                entries.append((page, 0, entry.lastmod))
        store.enqueue(entries)
        listed += len(entries)
        for child in sitemap.sitemaps:
            child_url = normalise(child)
            if child_url is not None and child_url not in seen and scope.contains(child_url) and len(seen) < limits.max_sitemaps:
                seen.add(child_url)
                pending.append(child_url)
    log.info("sitemaps of %s: %s read, %s page URLs", root, fetched, listed)
    return listed
