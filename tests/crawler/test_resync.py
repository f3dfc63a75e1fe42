"""Re-sync and resume: unchanged pages are not fetched or parsed again, gone pages are marked, a killed crawl resumes."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from dataclasses import replace
from pathlib import Path

from crawler.store import CrawlStore
from tests.crawler.local_site import FAST_LIMITS, LocalSite, crawl, page, served, status


def sitemap(base: str, entries: dict[str, str]) -> str:
    urls = "".join(f"<url><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></url>" for path, lastmod in entries.items())
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def open_store(path: Path) -> CrawlStore:
    return CrawlStore(path)


async def test_sitemap_urls_are_crawled_and_an_unchanged_lastmod_skips_them(site: LocalSite, store_path: Path) -> None:
    site.robots = (200, f"User-agent: *\nAllow: /\nSitemap: {site.base}/mangler.xml\nSitemap: {site.base}/indeks.xml\n")
    site.handlers["/mangler.xml"] = status(404)
    index = f"<sitemapindex><sitemap><loc>{site.base}/kort-1.xml.gz</loc></sitemap></sitemapindex>"
    site.handlers["/indeks.xml"] = served(index.encode(), "application/xml")
    gzipped = gzip.compress(sitemap(site.base, {"/arkiv": "2026-01-01"}).encode())
    site.handlers["/kort-1.xml.gz"] = served(gzipped, "application/gzip")
    site.pages = {"/": page("Forside", "/borger"), "/borger": page("Borger"), "/gemt": page("Kun i sitemap")}
    site.pages["/arkiv"] = page("Arkiv")
    site.sitemap = sitemap(site.base, {"/gemt": "2026-11-01", "/borger": "2026-11-01"})
    first = await crawl(site.base + "/", store_path)
    assert first.outcomes == {"stored": 4}
    assert site.fetched("/gemt") == 1 and site.fetched("/arkiv") == 1  # from /sitemap.xml and the index's gzipped child

    second = await crawl(site.base + "/", store_path)
    assert site.fetched("/gemt") == 1 and site.fetched("/borger") == 1  # not asked for again
    assert site.fetched("/") == 2  # not in the sitemap: fetched again
    assert second.outcomes == {"stored": 1, "unchanged": 3}
    assert second.complete and second.gone_marked == 0

    site.sitemap = sitemap(site.base, {"/gemt": "2026-11-20", "/borger": "2026-11-01"})
    third = await crawl(site.base + "/", store_path)
    assert site.fetched("/gemt") == 2
    assert third.outcomes == {"stored": 2, "unchanged": 2}

    await crawl(site.base + "/", store_path, full=True)
    assert site.fetched("/borger") == 2  # --full ignores lastmod


async def test_conditional_get_304_keeps_the_page_and_its_links(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/borger"), "/borger": page("Borger", "/borger/affald"), "/borger/affald": page("Affald")}
    site.etags = {path: f'"v1-{n}"' for n, path in enumerate(site.pages)}
    await crawl(site.base + "/", store_path)
    second = await crawl(site.base + "/", store_path)
    assert second.outcomes == {"unchanged": 3}  # every page answered 304, and the links behind them were still followed
    assert second.complete and second.gone_marked == 0
    assert site.fetched("/borger/affald") == 2
    store = open_store(store_path)
    assert {p.title for p in store.live_pages()} == {"Forside", "Borger", "Affald"}
    store.close()


async def test_pages_gone_from_the_site_are_marked_gone(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/a", "/b", "/c"), "/a": page("A"), "/b": page("B"), "/c": page("C")}
    await crawl(site.base + "/", store_path)
    del site.pages["/a"]  # now 404
    site.handlers["/c"] = status(410)
    site.pages["/"] = page("Forside", "/a", "/c")  # /b still exists but is no longer linked
    summary = await crawl(site.base + "/", store_path)
    assert summary.complete
    store = open_store(store_path)
    assert {p.url for p in store.live_pages()} == {site.base + "/"}
    assert set(store.gone_urls()) == {site.base + "/a", site.base + "/b", site.base + "/c"}
    store.close()

    site.pages["/"] = page("Forside", "/b")  # back again
    await crawl(site.base + "/", store_path)
    store = open_store(store_path)
    assert site.base + "/b" in {p.url for p in store.live_pages()}
    assert site.base + "/b" not in store.gone_urls()
    store.close()


async def test_a_failing_page_keeps_what_was_stored(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/a"), "/a": page("A", "/a/under"), "/a/under": page("Under")}
    await crawl(site.base + "/", store_path)
    site.handlers["/a"] = status(500)
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 2, "error": 1}
    assert summary.complete and summary.gone_marked == 0
    store = open_store(store_path)
    assert {p.url for p in store.live_pages()} == {site.base + p for p in ("/", "/a", "/a/under")}
    assert store.gone_urls() == []
    store.close()


async def test_an_incomplete_crawl_marks_nothing_gone(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/a", "/b"), "/a": page("A"), "/b": page("B")}
    await crawl(site.base + "/", store_path)
    summary = await crawl(site.base + "/", store_path, limits=replace(FAST_LIMITS, max_pages=1))
    assert not summary.complete
    store = open_store(store_path)
    assert store.gone_urls() == []
    assert len(list(store.live_pages())) == 3
    store.close()


async def test_a_killed_crawl_resumes_without_fetching_done_pages_again(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", *(f"/side/{n}" for n in range(40)))}
    site.pages.update({f"/side/{n}": page(f"Side {n}") for n in range(40)})
    limits = replace(FAST_LIMITS, min_delay_s=0.02, per_host_concurrency=2)
    run = asyncio.create_task(crawl(site.base + "/", store_path, limits=limits))
    while sum(n for path, n in site.hits.items() if path.startswith("/side/")) < 12:
        await asyncio.sleep(0.01)
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run

    store = open_store(store_path)
    done = {url for url in (site.base + p for p in site.pages) if (r := store.record_of(url)) and r.state == "done"}
    store.close()
    assert 5 <= len(done) < len(site.pages)
    before = dict(site.hits)

    summary = await crawl(site.base + "/", store_path, limits=limits)
    assert summary.complete
    for url in done:
        path = url.removeprefix(site.base)
        assert site.hits[path] == before[path], f"{path} was done and fetched again"
    assert all(site.hits[path] <= 2 for path in site.pages)
    store = open_store(store_path)
    assert {p.url for p in store.live_pages()} == {site.base + p for p in site.pages}
    assert store.summary().run == 1  # the same run, resumed
    store.close()
