"""Politeness pieces on their own: the robots.txt cache and its expiry, the host gate, meta robots, settings."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.cli import register
from crawler.fetch import Fetcher, parse_retry_after
from crawler.links import page_links
from crawler.pipeline import process_page
from crawler.politeness import HostGate, RobotsCache
from crawler.settings import CrawlSettings, SettingsError
from tests.crawler.local_site import FAST_LIMITS, LocalSite, crawl, page
from tests.crawler.pages import municipal_page


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_robots_txt_is_cached_until_it_expires(site: LocalSite) -> None:
    site.robots = (200, "User-agent: *\nDisallow: /privat\n")
    clock = Clock()
    async with Fetcher(FAST_LIMITS) as fetcher:
        cache = RobotsCache(fetcher, FAST_LIMITS, clock=clock)
        first = await cache.policy(site.base)
        assert not first.allows("/privat/x")
        clock.now += FAST_LIMITS.robots_ttl_s - 1
        await cache.policy(site.base)
        assert site.fetched("/robots.txt") == 1
        site.robots = (200, "User-agent: *\nAllow: /\n")
        clock.now += 2
        assert (await cache.policy(site.base)).allows("/privat/x")
        assert site.fetched("/robots.txt") == 2


async def test_an_unreadable_robots_txt_is_asked_for_again_soon(site: LocalSite) -> None:
    site.robots = (503, "")
    clock = Clock()
    async with Fetcher(FAST_LIMITS) as fetcher:
        cache = RobotsCache(fetcher, FAST_LIMITS, clock=clock)
        assert (await cache.policy(site.base)).refusal == "robots.txt answered 503"
        site.robots = (404, "")
        clock.now += 301
        assert (await cache.policy(site.base)).refusal is None


async def test_the_gate_spaces_request_starts_and_honours_a_pause() -> None:
    clock = Clock()
    gate = HostGate(concurrency=2, clock=clock)
    async with gate.turn(0.0):
        pass
    gate.pause(0.05)
    started = time.monotonic()
    async with gate.turn(0.0):
        pass
    assert time.monotonic() - started >= 0.04


def test_meta_robots_noindex_and_nofollow() -> None:
    base = "https://testby.dk/side"
    assert page_links(b'<meta name="robots" content="noindex"><a href="/a">a</a>', base).links == ("https://testby.dk/a",)
    assert page_links(b'<meta name="robots" content="noindex"><a href="/a">a</a>', base).noindex
    assert page_links(b'<meta name="ROBOTS" content="nofollow"><a href="/a">a</a>', base).links == ()
    assert page_links(b'<a rel="nofollow" href="/a">a</a><a href="/b">b</a>', base).links == ("https://testby.dk/b",)
    assert page_links(b'<base href="https://testby.dk/mappe/"><a href="a">a</a>', base).links == ("https://testby.dk/mappe/a",)


async def test_nofollow_links_are_not_followed(site: LocalSite, tmp_path: Path) -> None:
    site.pages = {
        "/": page("Forside", "/lukket"),
        "/lukket": (
            '<html><head><meta name="robots" content="nofollow"></head>'
            '<body><p>Tekst</p><a href="/aldrig">x</a></body></html>'
        ),
        "/aldrig": page("Aldrig"),
    }
    summary = await crawl(site.base + "/", tmp_path / "s.sqlite")
    assert site.fetched("/aldrig") == 0
    assert summary.outcomes == {"stored": 2}


def test_a_noindex_page_gives_links_but_no_page() -> None:
    body = municipal_page().replace("<head>", '<head><meta name="robots" content="noindex">').encode()
    processed = process_page(body, "https://roskilde.dk/affald", "roskilde", datetime.now(UTC))
    assert processed.page is None
    assert "https://roskilde.dk/borger" in processed.links
    indexed = process_page(municipal_page().encode(), "https://roskilde.dk/affald", "roskilde", datetime.now(UTC))
    assert indexed.page is not None and indexed.page.chunks
    assert all(link.startswith("https://roskilde.dk/") for link in indexed.links)  # on-site links only


def test_settings_from_the_environment(tmp_path: Path) -> None:
    settings = CrawlSettings.from_env({"MUNI_CRAWL_DIR": str(tmp_path), "MUNI_CRAWL_MAX_PAGES": "10"})
    assert settings.store_path("aarhus") == tmp_path / "aarhus.sqlite"
    assert settings.limits.max_pages == 10
    assert settings.limits.min_delay_s == 1.0 and not settings.limits.allow_loopback  # polite and safe by default
    assert CrawlSettings.from_env({"MUNI_VAR_DIR": str(tmp_path / "var")}).store_dir == tmp_path / "var" / "crawl"
    with pytest.raises(SettingsError, match="MUNI_CRAWL_MIN_DELAY_S"):
        CrawlSettings.from_env({"MUNI_CRAWL_MIN_DELAY_S": "hurtigt"})


def test_the_crawl_command_line() -> None:
    parser = argparse.ArgumentParser(prog="muni")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["crawl", "aarhus", "--max-pages", "50", "--full"])
    assert (args.slug, args.max_pages, args.full, args.allow_loopback) == ("aarhus", 50, True, False)
    assert callable(args.handler)
    assert parser.parse_args(["crawl", "--all"]).all
    with pytest.raises(SystemExit):
        parser.parse_args(["crawl"])


def test_retry_after_as_seconds_or_a_date() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Mon, 23 Nov 2026 10:00:30 GMT", now=datetime(2026, 11, 23, 10, 0, tzinfo=UTC).timestamp()) == 30.0
    assert parse_retry_after("Mon, 23 Nov 2026 09:00:00 GMT", now=datetime(2026, 11, 23, 10, 0, tzinfo=UTC).timestamp()) == 0.0
    assert parse_retry_after("snart") is None
    assert parse_retry_after(None) is None
