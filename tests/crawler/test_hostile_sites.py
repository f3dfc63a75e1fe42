"""A hostile or broken site: each bad URL gets its error, the crawl goes on, nothing stored is lost."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from crawler.fetch import Fetcher, FetchFailed
from crawler.pipeline import ProcessedPage
from crawler.store import CrawlStore
from tests.crawler.local_site import (
    FAST_LIMITS,
    LocalSite,
    crawl,
    dripping,
    endless,
    gzip_bomb,
    hanging,
    page,
    redirect,
    served,
    simple_processor,
)


@pytest.fixture
async def site(aiohttp_server) -> AsyncIterator[LocalSite]:  # type: ignore[no-untyped-def]
    local = LocalSite()
    local.server = await aiohttp_server(local.app())
    local.base = str(local.server.make_url("")).rstrip("/")
    yield local
    local.released.set()


def reasons(path: Path, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
    store = CrawlStore(path)
    try:
        return {url: (r.outcome, r.reason) for url in urls if (r := store.record_of(url)) is not None}
    finally:
        store.close()


async def test_slow_and_endless_answers_time_out(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/haenger", "/drypper", "/borger"), "/borger": page("Borger")}
    site.handlers["/haenger"] = hanging(site)
    site.handlers["/drypper"] = dripping(site)
    started = time.monotonic()
    summary = await crawl(site.base + "/", store_path)
    assert time.monotonic() - started < FAST_LIMITS.total_timeout_s * 3
    assert summary.outcomes == {"stored": 2, "error": 2}
    found = reasons(store_path, [site.base + "/haenger", site.base + "/drypper"])
    assert set(found.values()) == {("error", "timeout")}


async def test_huge_bodies_and_gzip_bombs_are_cut_at_the_cap(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/kaempe", "/bombe", "/borger"), "/borger": page("Borger")}
    site.handlers["/kaempe"] = endless(site)
    site.handlers["/bombe"] = gzip_bomb(megabytes=64)
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 2, "error": 2}
    cap = FAST_LIMITS.max_body_bytes
    found = reasons(store_path, [site.base + "/kaempe", site.base + "/bombe"])
    assert set(found.values()) == {("error", f"body over {cap} bytes")}
    assert site.sent < 64 * cap  # the 2 GB body was not read to its end


async def test_a_body_announced_too_large_is_not_read(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/stor")}
    site.handlers["/stor"] = served(b"<p>" + b"x" * (FAST_LIMITS.max_body_bytes + 10), "text/html")
    summary = await crawl(site.base + "/", store_path)
    assert summary.outcomes == {"stored": 1, "error": 1}


async def test_non_html_is_skipped_and_broken_html_survives(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/rapport.pdf", "/billede", "/rod", "/skrald", "/uden-type", "/html-uden-type")}
    site.handlers["/rapport.pdf"] = served(b"%PDF-1.7 <a href='/fra-pdf'>", "application/pdf")
    site.handlers["/billede"] = served(b"\x89PNG\r\n", "image/png")
    site.handlers["/rod"] = served(b"<html><body><p>Uafsluttet <b><i>tekst<a href='/fundet'>link", "text/html")
    site.handlers["/skrald"] = served(b"\x00\xff\xfe<<<>>>\x00" * 100, "text/html; charset=utf-8")
    site.handlers["/uden-type"] = served(b"plain words", "")
    site.handlers["/html-uden-type"] = served(b"\xef\xbb\xbf<!DOCTYPE html><title>Sniffet</title><p>Tekst</p>", "")
    site.pages["/fundet"] = page("Fundet")
    summary = await crawl(site.base + "/", store_path)
    assert site.fetched("/fra-pdf") == 0
    assert site.fetched("/fundet") == 1  # a link in broken markup is still a link
    found = reasons(store_path, [site.base + p for p in ("/rapport.pdf", "/billede", "/uden-type")])
    assert found[site.base + "/rapport.pdf"] == ("skipped", "not HTML (application/pdf)")
    assert found[site.base + "/billede"] == ("skipped", "not HTML (image/png)")
    assert found[site.base + "/uden-type"][0] == "skipped"
    assert reasons(store_path, [site.base + "/html-uden-type"])[site.base + "/html-uden-type"][0] == "stored"
    assert summary.outcomes.get("error", 0) == 0
    assert summary.complete


async def test_redirects_within_the_site_are_followed_once(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/gammel", "/ny"), "/ny": page("Ny")}
    site.handlers["/gammel"] = redirect("/ny", 301)
    summary = await crawl(site.base + "/", store_path)
    assert site.fetched("/ny") == 1
    assert summary.outcomes == {"stored": 2, "redirected": 1}
    store = CrawlStore(store_path)
    assert {p.url for p in store.live_pages()} == {site.base + "/", site.base + "/ny"}
    store.close()


async def test_redirects_off_the_site_are_skipped(site: LocalSite, store_path: Path, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    other = LocalSite()
    other.pages = {"/": page("Andet sted")}
    other_server = await aiohttp_server(other.app())
    site.pages = {"/": page("Forside", "/ud", "/metadata", "/privat")}
    site.handlers["/ud"] = redirect(str(other_server.make_url("/")))
    site.handlers["/metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    site.handlers["/privat"] = redirect("http://10.0.0.1/admin")
    summary = await crawl(site.base + "/", store_path)
    assert sum(other.hits.values()) == 0
    assert summary.outcomes == {"stored": 1, "skipped": 3}
    found = reasons(store_path, [site.base + p for p in ("/ud", "/metadata", "/privat")])
    assert set(found.values()) == {("skipped", "redirect off the site")}


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/", "http://[fe80::1]/", "http://0.0.0.0/"],
)
async def test_the_fetcher_refuses_redirects_to_private_addresses(site: LocalSite, target: str) -> None:
    site.handlers["/videre"] = redirect(target)
    started = time.monotonic()
    async with Fetcher(FAST_LIMITS) as fetcher:
        with pytest.raises(FetchFailed, match="address refused"):
            await fetcher.fetch(site.base + "/videre", max_bytes=1000, html_only=True)
    assert time.monotonic() - started < 0.5  # refused before any connection attempt


class FakeDNS(AbstractResolver):
    """Names for the test site: the site itself on loopback, its www. name on a private address."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return [{"hostname": host, "host": self.table[host], "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


async def test_a_name_on_the_site_that_resolves_to_a_private_address_is_refused(site: LocalSite, store_path: Path) -> None:
    port = site.server.port
    dns = FakeDNS({"testby.test": "127.0.0.1", "www.testby.test": "10.0.0.1"})
    site.pages = {"/": page("Forside", f"http://www.testby.test:{port}/direkte", "/omvej")}
    site.handlers["/omvej"] = redirect(f"http://www.testby.test:{port}/via-redirect")
    summary = await crawl(f"http://testby.test:{port}/", store_path, resolver=dns)
    assert summary.outcomes == {"stored": 1, "error": 2}
    found = reasons(store_path, [f"http://www.testby.test:{port}/direkte", f"http://testby.test:{port}/omvej"])
    assert set(found.values()) == {("error", "robots.txt unreachable: address refused (private)")}


async def test_a_loopback_site_is_refused_without_the_explicit_setting(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside")}
    summary = await crawl(site.base + "/", store_path, limits=replace(FAST_LIMITS, allow_loopback=False))
    assert sum(site.hits.values()) == 0
    assert summary.outcomes == {"error": 1}
    assert reasons(store_path, [site.base + "/"])[site.base + "/"] == (
        "error",
        "robots.txt unreachable: address refused (loopback)",
    )


async def test_redirect_loops_and_long_chains_are_bounded(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/loop-a", "/kaede-0")}
    site.handlers["/loop-a"] = redirect("/loop-b")
    site.handlers["/loop-b"] = redirect("/loop-a")
    for n in range(20):
        site.handlers[f"/kaede-{n}"] = redirect(f"/kaede-{n + 1}")
    summary = await crawl(site.base + "/", store_path)
    assert site.fetched("/loop-a") == 1 and site.fetched("/loop-b") == 1
    assert site.fetched(f"/kaede-{FAST_LIMITS.max_redirects + 1}") == 0
    found = reasons(store_path, [site.base + "/loop-a", site.base + "/kaede-0"])
    assert found == {
        site.base + "/loop-a": ("error", "redirect loop"),
        site.base + "/kaede-0": ("error", "too many redirects"),
    }
    assert summary.outcomes == {"stored": 1, "error": 2}


async def test_query_string_and_calendar_traps_are_bounded(site: LocalSite, store_path: Path) -> None:
    async def calendar(request):  # type: ignore[no-untyped-def]
        month = int(request.query.get("m", "0"))
        html = page(f"Måned {month}", f"/kalender?m={month + 1}", f"/kalender?m={month - 1}")
        return await served(html.encode(), "text/html")(request)

    async def archive(request):  # type: ignore[no-untyped-def]
        year = int(request.match_info["tail"].split("/")[1])
        return await served(page(f"År {year}", f"/arkiv/{year + 1}", f"/arkiv/{year - 1}").encode(), "text/html")(request)

    site.pages = {"/": page("Forside", "/kalender?m=0", "/arkiv/2026")}
    for month in range(-100, 100):
        site.handlers[f"/kalender?m={month}"] = calendar
    for year in range(1900, 2200):
        site.handlers[f"/arkiv/{year}"] = archive
    limits = replace(FAST_LIMITS, max_query_variants_per_path=5, max_numeric_path_variants=7, max_depth=1000)
    summary = await crawl(site.base + "/", store_path, limits=limits)
    assert summary.complete
    calendar_hits = sum(n for path, n in site.hits.items() if path.startswith("/kalender"))
    archive_hits = sum(n for path, n in site.hits.items() if path.startswith("/arkiv"))
    assert calendar_hits == 5
    assert archive_hits == 7


def duplicate_chunks(body: bytes, url: str, municipality: str, crawled_at: datetime) -> ProcessedPage:
    """A processor with a bug on one page: two chunks in one position."""
    processed = simple_processor(body, url, municipality, crawled_at)
    if processed.page is None or not url.endswith("/fejlbehaeftet"):
        return processed
    page_ = replace(processed.page, chunks=processed.page.chunks * 2)
    return replace(processed, page=page_)


def crashing(body: bytes, url: str, municipality: str, crawled_at: datetime) -> ProcessedPage:
    if url.endswith("/crash"):
        raise RecursionError("maximum recursion depth exceeded")  # as lxml can on absurdly nested markup
    return simple_processor(body, url, municipality, crawled_at)


async def test_a_page_that_breaks_processing_or_storing_is_that_page_s_error(site: LocalSite, store_path: Path) -> None:
    site.pages = {"/": page("Forside", "/fejlbehaeftet", "/borger"), "/fejlbehaeftet": page("Fejl"), "/borger": page("Borger")}
    summary = await crawl(site.base + "/", store_path, processor=duplicate_chunks)
    assert summary.outcomes == {"stored": 2, "error": 1}
    assert ("error: storing the page failed", 1) in summary.top_reasons
    site.pages["/"] = page("Forside", "/crash", "/borger")
    site.pages["/crash"] = page("Crash")
    summary = await crawl(site.base + "/", store_path.with_name("other.sqlite"), processor=crashing)
    assert ("error: processing failed (RecursionError)", 1) in summary.top_reasons
