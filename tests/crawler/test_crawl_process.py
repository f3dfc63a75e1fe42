"""The crawl as `muni crawl` runs it: real extraction in worker processes, and a crawl killed with SIGKILL resumes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from crawler.cli import crawl_site
from crawler.crawl import Site
from crawler.settings import CrawlSettings
from crawler.store import CrawlStore
from crawler.workers import RenewingPool, process_pool
from tests.crawler.local_site import FAST_LIMITS, LocalSite, crawl, dying_processor, page
from tests.crawler.pages import municipal_page
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]

# What the bench runner and `muni crawl` do, in a process of its own that the test can kill.
RUNNER = """
import asyncio, json, sys
from dataclasses import replace
from pathlib import Path
from crawler.cli import crawl_site
from crawler.crawl import Site
from crawler.settings import CrawlLimits, CrawlSettings
limits = CrawlLimits(min_delay_s=0.05, allow_loopback=True, per_host_concurrency=2)
settings = CrawlSettings(store_dir=Path(sys.argv[2]), limits=limits, workers=1)
summary = asyncio.run(crawl_site(Site("testby", sys.argv[1]), settings))
print(json.dumps({"complete": summary.complete, "outcomes": summary.outcomes}))
"""


async def test_pages_are_extracted_and_chunked_in_worker_processes(site: LocalSite, tmp_path: Path) -> None:
    site.pages = {"/": page("Forside", "/affald", "/tom"), "/affald": municipal_page(), "/tom": "<html><body></body></html>"}
    settings = CrawlSettings(store_dir=tmp_path, limits=FAST_LIMITS, workers=1)
    summary = await crawl_site(Site("roskilde", site.base + "/"), settings)
    assert summary.complete
    assert summary.outcomes["stored"] >= 1 and summary.outcomes["no content"] == 1
    store = CrawlStore(settings.store_path("roskilde"))
    pages = {p.url: p for p in store.live_pages()}
    store.close()
    waste = pages[site.base + "/affald"]
    assert "Affald" in waste.title
    assert waste.chunks and all(c.municipality == "roskilde" and c.url == waste.url for c in waste.chunks)
    assert any("skraldespand" in c.text for c in waste.chunks)
    assert not any("cookies" in c.text for c in waste.chunks)  # the banner is not content


async def test_a_crawl_killed_with_sigkill_resumes(site: LocalSite, tmp_path: Path) -> None:
    site.pages = {"/": page("Forside", *(f"/side/{n}" for n in range(60)))}
    site.pages.update({f"/side/{n}": page(f"Side {n}") for n in range(60)})

    async def start(stdout: int) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUNNER, site.base + "/", str(tmp_path), cwd=REPO, stdout=stdout
        )

    first = await start(asyncio.subprocess.DEVNULL)
    async with asyncio.timeout(60):
        while sum(n for path, n in site.hits.items() if path.startswith("/side/")) < 25:
            await asyncio.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    await first.wait()

    store = CrawlStore(tmp_path / "testby.sqlite")
    done = {p for p in site.pages if (r := store.record_of(site.base + p)) is not None and r.state == "done"}
    store.close()
    assert done and len(done) < len(site.pages)
    before = dict(site.hits)

    second = await start(asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(second.communicate(), timeout=60)
    result = json.loads(output.decode().strip().splitlines()[-1])
    assert result["complete"]
    assert [p for p in done if site.hits[p] != before[p]] == []  # nothing done was fetched again
    store = CrawlStore(tmp_path / "testby.sqlite")
    assert {p.url for p in store.live_pages()} == {site.base + p for p in site.pages}
    store.close()


async def test_a_page_that_kills_its_worker_is_an_error_and_the_pool_is_renewed(site: LocalSite, tmp_path: Path) -> None:
    site.pages = {"/": page("Forside", "/doed", "/a"), "/doed": page("Død"), "/a": page("A", "/b"), "/b": page("B")}
    pool = RenewingPool(lambda: process_pool(1))
    summary = await crawl(
        site.base + "/", tmp_path / "s.sqlite", processor=dying_processor, executor=pool, processing_slots=1
    )
    assert summary.complete
    assert summary.outcomes == {"stored": 3, "error": 1}
    assert ("error: processing failed (BrokenProcessPool)", 1) in summary.top_reasons


async def _muni_crawl(crawl_dir: Path, root: str) -> tuple[int, str]:
    """`muni crawl aarhus --root ROOT` as staff run it, in its own process (the site is served by this loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ops.cli", "crawl", "aarhus", "--root", root,
        "--allow-loopback", "--min-delay", "0", "--max-pages", "8",
        cwd=REPO, env={**os.environ, "MUNI_CRAWL_DIR": str(crawl_dir)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_muni_crawl_exits_nonzero_only_when_no_page_could_be_stored(site: LocalSite, tmp_path: Path) -> None:
    site.pages = {"/": page("Forside", "/affald", "/mangler"), "/affald": municipal_page()}
    code, output = await _muni_crawl(tmp_path / "up", site.base + "/")
    assert code == 0, output
    assert "crawl run 1 " in output and "stored: 2" in output and "gone: " in output  # 404s are no failure
    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens on it
    code, output = await _muni_crawl(tmp_path / "down", dead)
    assert code == 1, output
    assert "muni crawl: no page could be stored for aarhus" in output
    assert "stored:" not in output
