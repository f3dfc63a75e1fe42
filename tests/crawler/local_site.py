"""A municipality's website as the crawler tests serve it on 127.0.0.1: pages, robots.txt, traps and hostile answers."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractResolver
from lxml import etree
from lxml import html as lxml_html

from crawler.crawl import Crawler, Processor, Site
from crawler.fetch import Fetcher
from crawler.links import page_links
from crawler.pipeline import ProcessedPage
from crawler.results import RunSummary
from crawler.settings import CrawlLimits
from crawler.store import CrawlStore
from crawler.urls import normalise
from knowledge.index.records import Chunk, StoredPage

FAST_LIMITS = CrawlLimits(
    min_delay_s=0.0,
    allow_loopback=True,
    connect_timeout_s=1.0,
    read_timeout_s=0.5,
    total_timeout_s=1.5,
    max_body_bytes=256 * 1024,
    per_host_concurrency=4,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(title: str, *links: str, text: str = "") -> str:
    """An HTML page about `title` that links to `links`."""
    anchors = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    body = text or f"Kommunen fortæller her om {title.lower()}, og hvad du som borger skal gøre."
    head = f"<head><title>{title}</title></head>"
    return f"<!doctype html><html>{head}<body><h1>{title}</h1><p>{body}</p><ul>{anchors}</ul></body></html>"


class LocalSite:
    """Serves pages by path and counts every request, so tests can assert what was fetched."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.handlers: dict[str, Handler] = {}
        self.robots: tuple[int, str] | None = (200, "User-agent: *\nAllow: /\n")
        self.sitemap: str | None = None
        self.etags: dict[str, str] = {}
        self.hits: Counter[str] = Counter()
        self.sent = 0
        self.user_agents: set[str] = set()
        self.latency_s = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self.base = ""  # http://127.0.0.1:<port>, once served
        self.released = asyncio.Event()  # ends the hanging and dripping answers at teardown

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._serve)
        return app

    def fetched(self, path: str) -> int:
        return self.hits[path]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path_qs] += 1
        self.user_agents.add(request.headers.get("User-Agent", ""))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.path_qs in self.handlers:
            return await self.handlers[request.path_qs](request)
        if request.path == "/robots.txt":
            if self.robots is None:
                raise web.HTTPNotFound()
            status, text = self.robots
            return web.Response(status=status, text=text)
        if request.path == "/sitemap.xml" and self.sitemap is not None:
            return web.Response(text=self.sitemap, content_type="application/xml")
        body = self.pages.get(request.path_qs)
        if body is None:
            raise web.HTTPNotFound()
        etag = self.etags.get(request.path_qs)
        if etag is not None and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag} if etag else {}
        return web.Response(text=body, content_type="text/html", headers=headers)


# -- hostile answers ---------------------------------------------------------


def redirect(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


def status(code: int, headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text="nej", headers=headers)

    return handler


def hanging(site: LocalSite) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await site.released.wait()
        return web.Response(text="too late", content_type="text/html")

    return handler


def dripping(site: LocalSite) -> Handler:
    """Headers at once, then one byte every 0.2 s: each read is quick, the whole never ends."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        while not site.released.is_set():
            await response.write(b"<")
            await asyncio.sleep(0.2)
        return response

    return handler


def endless(site: LocalSite, chunk_size: int = 64 * 1024) -> Handler:
    """A body that would run to 2 GB; counts what it managed to send in `site.sent`."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html", "Content-Length": str(2 * 1024**3)})
        await response.prepare(request)
        chunk = b"<p>" + b"x" * (chunk_size - 3)
        for _ in range(2 * 1024**3 // chunk_size):
            await response.write(chunk)
            site.sent += len(chunk)
        return response

    return handler


def gzip_bomb(megabytes: int = 64) -> Handler:
    """A few hundred KB on the wire that inflate to `megabytes` MB."""
    bomb = gzip.compress(b"<p>" + b"A" * (megabytes * 1024 * 1024), compresslevel=9)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )

    return handler


def served(body: bytes, content_type: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handler


# -- crawling it -------------------------------------------------------------


def simple_processor(body: bytes, url: str, municipality: str, crawled_at: datetime) -> ProcessedPage:
    """A stand-in for extract + chunk_page: the page's text as one chunk (the crawl tests are about crawling)."""
    found = page_links(body, url)
    try:
        document = lxml_html.document_fromstring(body)
    except (etree.ParserError, ValueError):  # garbage has no content
        return ProcessedPage(links=found.links, page=None)
    title = (document.findtext(".//title") or "").strip()
    text = " ".join(document.text_content().split())
    digest = hashlib.sha256(text.encode()).hexdigest()
    chunk = Chunk(municipality, url, title, (title,), text, 0, crawled_at, digest)
    return ProcessedPage(links=found.links, page=StoredPage(municipality, url, title, digest, crawled_at, (chunk,)))


async def crawl(
    root: str,
    store_path: Path,
    *,
    limits: CrawlLimits = FAST_LIMITS,
    full: bool = False,
    resolver: AbstractResolver | None = None,
    processor: Processor = simple_processor,
    executor: Executor | None = None,
    processing_slots: int | None = None,
) -> RunSummary:
    """Crawl `root` into the store at `store_path` the way `muni crawl` does, with threads for CPU work unless given."""
    store = CrawlStore(store_path)
    try:
        with executor or ThreadPoolExecutor(max_workers=2) as executor:
            async with Fetcher(limits, resolver=resolver) as fetcher:
                site = Site(municipality="testby", root=normalise(root) or root)
                crawler = Crawler(
                    site, limits, store, fetcher, executor, full=full, processor=processor, processing_slots=processing_slots
                )
                return await crawler.run()
    finally:
        store.close()


def dying_processor(body: bytes, url: str, municipality: str, crawled_at: datetime) -> ProcessedPage:
    """A worker process that dies on one page, as one killed for memory or crashed in C code would."""
    if url.endswith("/doed"):
        os._exit(1)
    return simple_processor(body, url, municipality, crawled_at)
