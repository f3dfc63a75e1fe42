"""The crawl of one municipality's site: frontier on disk, a fixed pool of fetch workers, CPU work off the loop."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from crawler.fetch import Fetcher, FetchFailed, FetchResult, RedirectSkipped
from crawler.frontier import queue_links
from crawler.pipeline import ProcessedPage, process_page
from crawler.politeness import HostGate, RobotsCache
from crawler.progress import Progress
from crawler.recording import Recorder
from crawler.results import FrontierUrl, Outcome, RunSummary, UrlResult
from crawler.seeding import seed_from_sitemaps
from crawler.settings import CrawlLimits
from crawler.store import CrawlStore
from crawler.urls import SiteScope, origin, path_and_query

log = logging.getLogger(__name__)

Processor = Callable[[bytes, str, str, datetime], ProcessedPage]


class _CrawledAlready(RedirectSkipped):
    """A redirect leads to a URL this run has queued or visited: it is crawled there, not twice."""


@dataclass(frozen=True)
class Site:
    municipality: str
    root: str  # a normalised URL


@dataclass(frozen=True)
class _Work:
    url: FrontierUrl
    attempt: int = 0


class Crawler:
    """Crawls one site into its store; `run()` once per crawl."""

    def __init__(
        self,
        site: Site,
        limits: CrawlLimits,
        store: CrawlStore,
        fetcher: Fetcher,
        executor: Executor,
        *,
        full: bool = False,
        processor: Processor = process_page,
        processing_slots: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._site = site
        self._limits = limits
        self._store = store
        self._fetcher = fetcher
        self._executor = executor
        self._full = full
        self._processor = processor
        self._scope = SiteScope(site.root)
        self._robots = RobotsCache(fetcher, limits)
        self._gates: dict[str, HostGate] = {}
        self._work: asyncio.Queue[_Work] = asyncio.Queue(maxsize=2 * limits.per_host_concurrency)
        self._processing = asyncio.Semaphore(processing_slots or 2 * (os.cpu_count() or 1))
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self._active = 0  # URLs taken from the frontier whose result is not yet recorded
        self._broken: BaseException | None = None  # what ended a worker or task: the crawl stops
        self._stop: Callable[[], object] = lambda: None
        self._fetched = 0
        self._recorder = Recorder(store, progress or Progress(enabled=False))

    async def run(self) -> RunSummary:
        started = time.monotonic()
        run = self._store.begin_run()
        log.info("crawl of %s: run %s%s", self._site.root, run.number, " resumed" if run.resumed else "")
        self._store.enqueue([(self._site.root, 0, None)])
        await seed_from_sitemaps(
            self._site.root, self._store, self._robots, self._limits, lambda url: self._fetch(url, sitemap=True)
        )
        self._store.commit()
        budget = self._limits.max_pages - self._store.visited()
        workers = [asyncio.create_task(self._worker()) for _ in range(self._limits.per_host_concurrency)]
        for worker in workers:
            worker.add_done_callback(self._check_task)
        feeder = asyncio.create_task(self._feed(budget))
        self._stop = feeder.cancel
        try:
            await feeder
        except asyncio.CancelledError:
            if self._broken is None:
                raise
            raise self._broken from None  # the store failed: the run resumes from its last commit
        finally:
            for worker in workers:
                worker.cancel()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*workers, *self._tasks, return_exceptions=True)
            self._recorder.close()  # what is recorded is consistent; a cancelled run resumes from here
        complete = self._store.queued() == 0
        gone = self._store.finish_run(complete=complete)
        summary = replace(
            self._store.summary(),
            complete=complete,
            gone_marked=gone,
            elapsed_s=time.monotonic() - started,
            fetched=self._fetched,
        )
        return summary

    async def _feed(self, budget: int) -> None:
        """Hand out frontier URLs until the budget is spent or the frontier is empty, then let work finish."""
        dispatched = 0
        while dispatched < budget:
            batch = self._store.take(min(budget - dispatched, self._work.maxsize))
            if not batch:
                if self._active == 0:
                    return
                await self._wait_for_change()
                continue
            for url in batch:
                self._active += 1
                dispatched += 1
                await self._work.put(_Work(url))
        while self._active:  # retries and page processing still under way
            await self._wait_for_change()

    async def _worker(self) -> None:
        while True:
            work = await self._work.get()
            try:
                await self._visit(work)
            except Exception:  # a bug on one URL must not end the crawl: record it and go on
                log.exception("crawling %s failed", work.url.url)
                self._finish(UrlResult(work.url.url, Outcome.ERROR, work.url.depth, reason="internal error"))
            finally:
                self._work.task_done()

    async def _visit(self, work: _Work) -> None:
        item = work.url
        policy = await self._robots.policy(origin(item.url))
        if policy.refusal is not None:
            return self._fail(item, policy.refusal)
        if not policy.allows(path_and_query(item.url)):
            return self._finish(UrlResult(item.url, Outcome.SKIPPED, item.depth, reason="robots.txt disallows"))
        if not self._full and item.unchanged_per_sitemap:
            self._follow(self._store.outlinks(item.url), item.depth + 1)
            return self._finish(UrlResult(item.url, Outcome.UNCHANGED, item.depth, reason="sitemap lastmod"))
        headers: dict[str, str] = {}
        if not self._full and item.has_page:
            if item.etag:
                headers["If-None-Match"] = item.etag
            if item.last_modified:
                headers["If-Modified-Since"] = item.last_modified
        try:
            result = await self._fetch(item.url, headers=headers)
        except FetchFailed as exc:
            return self._fail(item, exc.reason)
        except _CrawledAlready as exc:
            return self._finish(UrlResult(item.url, Outcome.REDIRECTED, item.depth, reason=exc.reason))
        except RedirectSkipped as exc:
            return self._finish(UrlResult(item.url, Outcome.SKIPPED, item.depth, reason=exc.reason))
        await self._handle(work, result)

    async def _fetch(self, url: str, *, headers: dict[str, str] | None = None, sitemap: bool = False) -> FetchResult:
        """One polite fetch: the host's gate spaces it by the min delay or robots.txt's crawl-delay."""
        policy = await self._robots.policy(origin(url))
        delay = max(self._limits.min_delay_s, min(policy.crawl_delay or 0.0, self._limits.max_crawl_delay_s))
        async with self._gate(url).turn(delay):
            if sitemap:
                return await self._fetcher.fetch(
                    url, max_bytes=self._limits.max_sitemap_bytes, html_only=False, hop_check=self._check_hop
                )
            self._fetched += 1
            return await self._fetcher.fetch(
                url, max_bytes=self._limits.max_body_bytes, html_only=True, headers=headers, hop_check=self._check_hop
            )

    async def _handle(self, work: _Work, result: FetchResult) -> None:
        item = work.url
        status = result.status
        if status == 304:
            self._follow(self._store.outlinks(item.url), item.depth + 1)
            return self._finish(UrlResult(item.url, Outcome.UNCHANGED, item.depth, reason="not modified", status=304))
        if status in (429, 503) and result.retry_after is not None:
            if result.retry_after <= self._limits.max_retry_after_s and work.attempt < self._limits.max_retries:
                self._gate(item.url).pause(result.retry_after)
                self._spawn(self._retry(replace(work, attempt=work.attempt + 1), result.retry_after))
                return None
            return self._fail(item, f"HTTP {status}, Retry-After not honoured by a retry", status)
        if status in (404, 410):
            return self._finish(UrlResult(item.url, Outcome.GONE, item.depth, reason=f"HTTP {status}", status=status))
        if not 200 <= status < 300:
            return self._fail(item, f"HTTP {status}", status)
        if result.body is None:
            reason = f"not HTML ({result.content_type or 'no content type'})"
            return self._finish(UrlResult(item.url, Outcome.SKIPPED, item.depth, reason=reason, status=status))
        url, synced = item.url, item.sitemap_lastmod
        if result.url != item.url:
            if not self._store.claim(result.url, item.depth):
                return self._finish(
                    UrlResult(item.url, Outcome.REDIRECTED, item.depth, reason="redirect to a URL crawled already")
                )
            self._recorder.record(
                UrlResult(item.url, Outcome.REDIRECTED, item.depth, reason="redirect followed"), fetched=self._fetched
            )
            url, synced = result.url, None
        await self._processing.acquire()
        self._spawn(self._process(url, item.depth, result, synced))

    async def _process(self, url: str, depth: int, result: FetchResult, synced: str | None) -> None:
        assert result.body is not None
        crawled_at = datetime.now(UTC)
        loop = asyncio.get_running_loop()
        try:
            processed = await loop.run_in_executor(
                self._executor, self._processor, result.body, url, self._site.municipality, crawled_at
            )
        except Exception as exc:  # the page broke extraction (or a worker died): that URL's error
            log.warning("processing %s failed: %s", url, exc)
            self._follow(self._store.outlinks(url), depth + 1)
            return self._finish(UrlResult(url, Outcome.ERROR, depth, reason=f"processing failed ({type(exc).__name__})"))
        finally:
            self._processing.release()
        outlinks = self._follow(processed.links, depth + 1)
        self._finish(
            UrlResult(
                url,
                Outcome.STORED if processed.page is not None else Outcome.NO_CONTENT,
                depth,
                status=result.status,
                etag=result.etag,
                last_modified=result.last_modified,
                synced_lastmod=synced,
                fetched_at=crawled_at,
                page=processed.page,
                outlinks=outlinks,
            )
        )

    async def _retry(self, work: _Work, after: float) -> None:
        await asyncio.sleep(after)
        await self._work.put(work)

    async def _check_hop(self, target: str) -> None:
        """Every redirect hop is checked like a link: on the site, allowed by robots.txt (addresses: the fetcher)."""
        if not self._scope.contains(target):
            raise RedirectSkipped("redirect off the site", target)
        policy = await self._robots.policy(origin(target))
        if policy.refusal is not None:
            raise FetchFailed(policy.refusal)
        if not policy.allows(path_and_query(target)):
            raise RedirectSkipped("redirect to a URL robots.txt disallows", target)
        if not self._store.unseen([target]):
            raise _CrawledAlready("redirect to a URL crawled already", target)

    def _follow(self, links: Iterable[str], depth: int) -> tuple[str, ...]:
        return queue_links(self._store, self._scope, self._limits, links, depth)

    def _fail(self, item: FrontierUrl, reason: str, status: int | None = None) -> None:
        # The stored page stays, and so does the way to the pages it linked to.
        self._follow(self._store.outlinks(item.url), item.depth + 1)
        self._finish(UrlResult(item.url, Outcome.ERROR, item.depth, reason=reason, status=status))

    async def _wait_for_change(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    def _check_task(self, task: asyncio.Task[None]) -> None:
        """A worker or task that died of an error (the store failing) stops the crawl instead of hanging it."""
        if not task.cancelled() and task.exception() is not None and self._broken is None:
            self._broken = task.exception()
            self._stop()

    def _finish(self, result: UrlResult) -> None:
        """Record the result of a URL taken from the frontier; the feeder may go on."""
        self._recorder.record(result, fetched=self._fetched)
        self._active -= 1
        self._changed.set()

    def _gate(self, url: str) -> HostGate:
        host = urlsplit(url).netloc
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(self._limits.per_host_concurrency)
        return gate

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._check_task)
