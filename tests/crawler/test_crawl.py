"""Crawling a local site: what is fetched, skipped and stored (the test server counts every request)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from crawler.store import CrawlStore
from tests.crawler.local_site import FAST_LIMITS, LocalSite, crawl, page, status


def stored_urls(path: Path) -> set[str]:
    store = CrawlStore(path)
    try:
        return {p.url for p in store.live_pages()}
    finally:
        store.close()


def record(path: Path, url: str):  # type: ignore[no-untyped-def]
    store = CrawlStore(path)
    try:
        return store.record_of(url)
    finally:
        store.close()


async def test_linked_pages_are_fetched_once_and_stored(site: LocalSite, store_path: Path) -> None:
    site.pages = {
        "/": page("Forside", "/borger", "/erhverv"),
        "/borger": page("Borger", "/borger/affald", "/"),
        "/erhverv": page("Erhverv", "/borger"),
        "/borger/affald": page("Affald", "/", "/erhverv"),
    }
    summary = await crawl(site.base + "/", store_path)
    assert summary.complete
    assert summary.outcomes == {"stored": 4}
    assert {path: site.fetched(path) for path in site.pages} == dict.fromkeys(site.pages, 1)
    assert site.fetched("/robots.txt") == 1
    assert site.user_agents == {FAST_LIMITS.user_agent}
    assert FAST_LIMITS.user_agent.startswith("MuniBot/")
    assert stored_urls(store_path) == {site.base + path for path in site.pages}
    pages = {p.url: p for p in CrawlStore(store_path).live_pages()}
    assert pages[site.base + "/borger/affald"].title == "Affald"
    assert pages[site.base + "/borger/affald"].chunks[0].municipality == "testby"


async def test_equivalent_urls_are_fetched_once(site: LocalSite, store_path: Path) -> None:
    site.pages = {
        "/": page("Forside", "/a", "/a#top", "./a", "/x/../a", "/a?utm_source=nyhedsbrev", "/b?y=1&x=2", "/b?x=2&y=1"),
        "/a": page("A"),
        "/b?x=2&y=1": page("B"),
    }
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 3}
    assert site.fetched("/a") == 1
    assert site.fetched("/b?x=2&y=1") == 1
    assert sum(site.hits.values()) == 4 + 1  # three pages, robots.txt and the missing /sitemap.xml


async def test_robots_txt_rules_are_obeyed(site: LocalSite, store_path: Path) -> None:
    site.robots = (200, "User-agent: *\nDisallow: /\n\nUser-agent: MuniBot\nDisallow: /intern\nAllow: /intern/offentlig\n")
    site.pages = {
        "/": page("Forside", "/intern/noter", "/intern/offentlig", "/borger"),
        "/intern/noter": page("Noter"),
        "/intern/offentlig": page("Offentlig"),
        "/borger": page("Borger"),
    }
    summary = await crawl(site.base + "/", store_path)
    assert site.fetched("/intern/noter") == 0
    assert site.fetched("/intern/offentlig") == 1
    assert summary.outcomes == {"stored": 3, "skipped": 1}
    assert record(store_path, site.base + "/intern/noter").reason == "robots.txt disallows"


async def test_a_missing_robots_txt_allows_everything(site: LocalSite, store_path: Path) -> None:
    site.robots = (404, "")
    site.pages = {"/": page("Forside", "/borger"), "/borger": page("Borger")}
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 2}


@pytest.mark.parametrize("code", [500, 503])
async def test_a_failing_robots_txt_disallows_everything(site: LocalSite, store_path: Path, code: int) -> None:
    site.robots = (code, "oops")
    site.pages = {"/": page("Forside", "/borger"), "/borger": page("Borger")}
    summary = await crawl(site.base + "/", store_path)
    assert site.fetched("/") == 0
    assert summary.outcomes == {"error": 1}
    assert record(store_path, site.base + "/").reason == f"robots.txt answered {code}"


async def test_crawl_delay_is_honoured(site: LocalSite, store_path: Path) -> None:
    site.robots = (200, "User-agent: *\nCrawl-delay: 0.3\n")
    site.pages = {"/": page("Forside", "/a", "/b", "/c"), "/a": page("A"), "/b": page("B"), "/c": page("C")}
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 4}
    assert summary.elapsed_s >= 3 * 0.3 * 0.9  # four requests, three gaps


async def test_min_delay_is_the_default_politeness(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/a"), "/a": page("A")}
    summary = await crawl(site.base + "/", store_path, limits=replace(FAST_LIMITS, min_delay_s=0.4))
    assert summary.elapsed_s >= 0.35


async def test_max_pages_and_depth_bound_the_crawl(site: LocalSite, store_path: Path, tmp_path: Path) -> None:
    site.pages = {f"/{n}": page(f"Side {n}", f"/{n + 1}") for n in range(1, 20)}
    site.pages["/"] = page("Forside", "/1")
    by_depth = await crawl(site.base + "/", store_path, limits=replace(FAST_LIMITS, max_depth=3))
    assert by_depth.outcomes == {"stored": 4}
    assert site.fetched("/3") == 1 and site.fetched("/4") == 0
    by_pages = await crawl(site.base + "/", tmp_path / "other.sqlite", limits=replace(FAST_LIMITS, max_pages=5))
    assert sum(by_pages.outcomes.values()) == 5
    assert not by_pages.complete


async def test_server_errors_are_recorded_and_the_crawl_goes_on(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/fejl", "/borger"), "/borger": page("Borger")}
    site.handlers["/fejl"] = status(500)
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 2, "error": 1}
    assert ("error: HTTP 500", 1) in summary.top_reasons
    assert any("HTTP 500" in line for line in summary.lines())


async def test_retry_after_is_honoured(site: LocalSite, store_path: Path) -> None:
    calls = []

    async def busy_once(request):  # type: ignore[no-untyped-def]
        calls.append(request)
        if len(calls) == 1:
            return await status(503, {"Retry-After": "1"})(request)
        return await status(200)(request)

    site.pages = {"/": page("Forside", "/travl")}
    site.handlers["/travl"] = busy_once
    summary = await crawl(site.base + "/", store_path)
    assert len(calls) == 2
    assert summary.elapsed_s >= 0.9
    assert summary.outcomes.get("error", 0) == 0


async def test_requests_to_one_host_are_bounded(site: LocalSite, store_path: Path) -> None:
    site.latency_s = 0.05
    site.pages = {"/": page("Forside", *(f"/side/{n}" for n in range(20)))}
    site.pages.update({f"/side/{n}": page(f"Side {n}") for n in range(20)})
    summary = await crawl(site.base + "/", store_path, limits=replace(FAST_LIMITS, per_host_concurrency=3))
    assert summary.outcomes == {"stored": 21}
    assert site.most_in_flight == 3
