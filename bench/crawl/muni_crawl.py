"""Muni's crawler as the benchmark runs it: `python -m bench.crawl.muni_crawl --root URL --store-dir DIR`.

Goes through the crawler's public entry point (`crawler.cli.crawl_site`, what
`muni crawl` runs) with the politeness delay off and loopback allowed; prints
the crawl's own summary and, last, one JSON line for the harness.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from pathlib import Path

from crawler.cli import crawl_site
from crawler.crawl import Site
from crawler.settings import CrawlLimits, CrawlSettings
from crawler.urls import normalise

MUNICIPALITY = "baekby"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--store-dir", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-pages", type=int, default=CrawlLimits.max_pages)
    args = parser.parse_args(argv)
    root = normalise(args.root)
    if root is None:
        parser.error(f"--root {args.root!r} is not an http(s) URL")
    limits = CrawlLimits(
        max_pages=args.max_pages, per_host_concurrency=args.concurrency, min_delay_s=0.0, allow_loopback=True
    )
    settings = CrawlSettings(store_dir=args.store_dir, limits=limits)
    summary = asyncio.run(crawl_site(Site(municipality=MUNICIPALITY, root=root), settings))
    for line in summary.lines():
        print(line)
    figures = asdict(summary)
    figures["store"] = str(settings.store_path(MUNICIPALITY))
    print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
