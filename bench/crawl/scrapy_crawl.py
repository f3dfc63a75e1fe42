"""The benchmark's reference: Scrapy crawling the same site, extracting with Muni's own functions.

`python -m bench.crawl.scrapy_crawl --root URL --store PATH --concurrency N`.
A sitemap spider (robots.txt → sitemap index → sitemaps) that also follows the
links of every page on the same host, as Muni's crawler does; pages go through
`crawler.extract.extract` and `crawler.chunking.chunk_page` in the callback, and a
pipeline stores pages and chunks in SQLite. Politeness delay off, robots.txt
obeyed, no AutoThrottle. Needs the `bench` extra (Scrapy).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import SitemapSpider

from crawler.chunking import chunk_page, page_hash
from crawler.extract import extract

MUNICIPALITY = "baekby"
COMMIT_EVERY = 500


class MunicipalSpider(SitemapSpider):
    name = "municipal"

    def __init__(self, root: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = root
        self.sitemap_urls = [urljoin(root, "/robots.txt")]
        # Not `allowed_domains`: Scrapy's offsite filter and LinkExtractor(allow_domains=...)
        # match no IP host, and the bench site is on 127.0.0.1.
        self.host = urlsplit(root).netloc
        self.links = LinkExtractor()

    async def start(self) -> Any:
        yield Request(self.root, callback=self.parse)
        async for request in super().start():
            yield request

    def parse(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, HtmlResponse):
            return
        extracted = extract(response.body, response.url)
        if extracted is not None:
            chunks = chunk_page(
                extracted, municipality=MUNICIPALITY, url=response.url, crawled_at=datetime.now(UTC)
            )
            yield {
                "url": response.url,
                "title": extracted.title,
                "content_hash": page_hash(extracted),
                "chunks": [(chunk.position, chunk.heading_path, chunk.text, chunk.content_hash) for chunk in chunks],
            }
        for link in self.links.extract_links(response):
            if urlsplit(link.url).netloc == self.host:
                yield response.follow(link.url, callback=self.parse)


class SQLitePipeline:
    """Pages and their chunks into one SQLite file, committed in batches."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pending = 0
        self.db: sqlite3.Connection | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SQLitePipeline:
        return cls(crawler.settings.get("MUNI_BENCH_STORE"))

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = sqlite3.connect(self.path)
        self.db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, title TEXT, content_hash TEXT);"
            "CREATE TABLE IF NOT EXISTS chunks (url TEXT, position INTEGER, heading_path TEXT, text TEXT,"
            " content_hash TEXT, PRIMARY KEY (url, position));"
        )

    def process_item(self, item: dict[str, Any], spider: Spider | None = None) -> dict[str, Any]:
        assert self.db is not None
        self.db.execute(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", (item["url"], item["title"], item["content_hash"])
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
            [(item["url"], position, json.dumps(path), text, digest) for position, path, text, digest in item["chunks"]],
        )
        self.pending += 1
        if self.pending >= COMMIT_EVERY:
            self.db.commit()
            self.pending = 0
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        assert self.db is not None
        self.db.commit()
        self.db.close()


def settings(store: Path, concurrency: int) -> dict[str, Any]:
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "MuniBench-Scrapy (+https://github.com/muni-assistant/muni)",
        "ITEM_PIPELINES": {f"{__name__}.SQLitePipeline": 100},
        "MUNI_BENCH_STORE": str(store),
    }


def count_pages(store: Path) -> int:
    with sqlite3.connect(store) as db:
        return db.execute("SELECT count(*) FROM pages").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    args.store.unlink(missing_ok=True)
    process = CrawlerProcess(settings(args.store, args.concurrency))
    process.crawl(MunicipalSpider, root=args.root)
    process.start()
    print(f"pages stored: {count_pages(args.store)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
