"""`muni crawl`: crawl one municipality's website (or all of them) into its crawl store."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace

from crawler.crawl import Crawler, Site
from crawler.fetch import Fetcher
from crawler.progress import Progress
from crawler.results import RunSummary
from crawler.settings import CrawlSettings
from crawler.store import CrawlStore
from crawler.urls import normalise
from crawler.workers import RenewingPool, process_pool


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("crawl", help="crawl municipalities' websites into their crawl stores")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("slug", nargs="?", help="the municipality to crawl, e.g. aarhus")
    which.add_argument("--all", action="store_true", help="crawl every municipality, one after the other")
    parser.add_argument("--root", help="start here instead of https://<the municipality's website>")
    parser.add_argument("--max-pages", type=int, help="stop after this many URLs")
    parser.add_argument("--full", action="store_true", help="fetch every page again (no conditional GET, no lastmod skip)")
    parser.add_argument("--allow-loopback", action="store_true", help="allow a site on 127.0.0.1 (local test sites)")
    parser.add_argument("--min-delay", type=float, help="seconds between requests to one host (default 1.0)")
    parser.set_defaults(handler=run_crawl_command)


def run_crawl_command(args: argparse.Namespace) -> int:
    settings = CrawlSettings.from_env()
    limits = settings.limits
    if args.max_pages is not None:
        limits = replace(limits, max_pages=args.max_pages)
    if args.allow_loopback:
        limits = replace(limits, allow_loopback=True)
    if args.min_delay is not None:
        limits = replace(limits, min_delay_s=args.min_delay)
    settings = replace(settings, limits=limits)
    if args.root and args.all:
        raise SystemExit("--root needs one municipality, not --all")
    sites = [_site(slug, args.root) for slug in (_all_slugs() if args.all else [args.slug])]
    empty = []
    for site in sites:
        summary = asyncio.run(crawl_site(site, settings, full=args.full))
        for line in summary.lines():
            print(line)
        if summary.found_nothing:
            empty.append(site.municipality)
    if empty:  # each one's summary above says why; what was stored before is kept
        print(f"muni crawl: no page could be stored for {', '.join(empty)}", file=sys.stderr)
        return 1
    return 0


async def crawl_site(site: Site, settings: CrawlSettings, *, full: bool = False) -> RunSummary:
    """Crawl one site into its store with extraction in a process pool."""
    store = CrawlStore(settings.store_path(site.municipality))
    workers = settings.workers or len(os.sched_getaffinity(0)) or 1
    try:
        with RenewingPool(lambda: process_pool(workers)) as executor:
            async with Fetcher(settings.limits) as fetcher:
                crawler = Crawler(site, settings.limits, store, fetcher, executor, full=full, progress=Progress())
                return await crawler.run()
    finally:
        store.close()


def _site(slug: str, root: str | None) -> Site:
    if root is None:
        from knowledge.guides import GuideLibrary

        root = GuideLibrary.load().website_url(slug)
    normalised = normalise(root)
    if normalised is None:
        raise SystemExit(f"--root {root!r} is not an http(s) URL")
    return Site(municipality=slug, root=normalised)


def _all_slugs() -> list[str]:
    from knowledge.guides import GuideLibrary

    return sorted(GuideLibrary.load().municipalities)
