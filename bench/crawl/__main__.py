"""`make bench-crawl`: Muni's crawler against Scrapy on a generated municipal site, served locally.

Runs, each crawler in its own process, with the same concurrency and no politeness delay:
Scrapy on the N-page site, Muni on the same site, Muni again on the unchanged site
(a re-sync), and Muni on an N/10-page site (for memory growth). Prints pages/s,
their ratio, peak RSS of each process tree and the re-sync time, against the targets.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.crawl.measure import Run, measure

TARGET_SPEEDUP = 1.5
TARGET_RSS_GROWTH = 1.2
TARGET_RESYNC_SHARE = 0.15
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Crawl:
    name: str
    run: Run
    pages: int  # pages whose content the crawler stored (or, on a re-sync, confirmed unchanged)
    site_pages: int

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.run.wall_s if self.run.wall_s > 0 else 0.0

    @property
    def peak_mib(self) -> float:
        return self.run.peak_tree_rss_kib / 1024


@contextmanager
def served_site(pages: int, seed: int) -> Iterator[str]:
    """The generated site in a server process of its own; yields its origin."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.crawl.server", "--pages", str(pages), "--seed", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        line = server.stdout.readline() if server.stdout is not None else ""
        if not line.startswith("listening on "):
            raise RuntimeError(f"the bench site did not start: {line!r}")
        yield line.removeprefix("listening on ").strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def crawl_with_muni(name: str, origin: str, site_pages: int, store_dir: Path, concurrency: int) -> Crawl:
    command = [
        sys.executable, "-m", "bench.crawl.muni_crawl", "--root", origin + "/",
        "--store-dir", str(store_dir), "--concurrency", str(concurrency), "--max-pages", str(site_pages + 100),
    ]  # fmt: skip
    print(f"{name}: crawling {origin} ...", file=sys.stderr, flush=True)
    run = measure(command)
    _check(name, run)
    figures = json.loads(next(line for line in reversed(run.output.splitlines()) if line.startswith("{")))
    outcomes = figures["outcomes"]
    return Crawl(name, run, outcomes.get("stored", 0) + outcomes.get("unchanged", 0), site_pages)


def crawl_with_scrapy(origin: str, site_pages: int, store: Path, concurrency: int) -> Crawl:
    command = [
        sys.executable, "-m", "bench.crawl.scrapy_crawl", "--root", origin + "/",
        "--store", str(store), "--concurrency", str(concurrency),
    ]  # fmt: skip
    print(f"Scrapy: crawling {origin} ...", file=sys.stderr, flush=True)
    run = measure(command)
    _check("Scrapy", run)
    stored = next(line for line in run.output.splitlines() if line.startswith("pages stored: "))
    return Crawl("Scrapy", run, int(stored.removeprefix("pages stored: ")), site_pages)


def _check(name: str, run: Run) -> None:
    if run.returncode != 0:
        raise SystemExit(f"{name} crawl failed (exit {run.returncode}):\n{run.output[-3000:]}")


def report(pages: int, concurrency: int, muni: Crawl, resync: Crawl, small: Crawl, scrapy: Crawl | None) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    def row(crawl: Crawl) -> str:
        return (
            f"  {crawl.name:<24} {crawl.pages:>7} {crawl.run.wall_s:>9.1f} {crawl.pages_per_s:>9.1f}"
            f" {crawl.peak_mib:>10.0f} {crawl.run.max_rss_kib / 1024:>12.0f}"
        )

    lines = [
        f"bench-crawl: {pages}-page generated site on 127.0.0.1, concurrency {concurrency}, no politeness delay",
        f"  {'crawl':<24} {'pages':>7} {'wall s':>9} {'pages/s':>9} {'peak MiB':>10} {'largest MiB':>12}",
    ]
    lines += [row(crawl) for crawl in (muni, resync, small, scrapy) if crawl is not None]
    lines.append(
        "  (peak MiB: summed VmRSS of the process tree, sampled every 100 ms;"
        " largest: the biggest single process, its VmHWM)"
    )
    if scrapy is not None and scrapy.pages_per_s > 0:
        speedup = muni.pages_per_s / scrapy.pages_per_s
        lines.append(
            f"Muni / Scrapy pages/s: {speedup:.2f}x (target ≥ {TARGET_SPEEDUP}x: {verdict(speedup >= TARGET_SPEEDUP)})"
        )
        lines.append(f"peak RSS: Muni {muni.peak_mib:.0f} MiB, Scrapy {scrapy.peak_mib:.0f} MiB")
    growth = muni.run.peak_tree_rss_kib / small.run.peak_tree_rss_kib
    lines.append(
        f"Muni peak RSS {muni.pages} pages / {small.pages} pages: {growth:.2f}"
        f" (target ≤ {TARGET_RSS_GROWTH}: {verdict(growth <= TARGET_RSS_GROWTH)})"
    )
    share = resync.run.wall_s / muni.run.wall_s
    lines.append(
        f"re-sync of the unchanged site: {resync.run.wall_s:.1f} s = {share:.1%} of the full crawl"
        f" (target ≤ {TARGET_RESYNC_SHARE:.0%}: {verdict(share <= TARGET_RESYNC_SHARE)})"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000, help="pages of the generated site (default 20000)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight, for both crawlers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench", help="where the crawl stores go")
    parser.add_argument("--skip-scrapy", action="store_true", help="Muni only (Scrapy comes with the bench extra)")
    args = parser.parse_args(argv)

    store_dir, small_dir = args.out / "crawl", args.out / "crawl-small"
    for directory in (store_dir, small_dir):
        shutil.rmtree(directory, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    pages, small_pages, concurrency = args.pages, max(args.pages // 10, 1), args.concurrency
    with served_site(pages, args.seed) as origin:
        scrapy = None if args.skip_scrapy else crawl_with_scrapy(origin, pages, args.out / "scrapy.sqlite", concurrency)
        muni = crawl_with_muni("Muni", origin, pages, store_dir, concurrency)
        resync = crawl_with_muni("Muni re-sync (unchanged)", origin, pages, store_dir, concurrency)
    with served_site(small_pages, args.seed) as origin:
        small = crawl_with_muni(f"Muni, {small_pages}-page site", origin, small_pages, small_dir, concurrency)
    for line in report(pages, concurrency, muni, resync, small, scrapy):
        print(line)
    print(f"crawl store of the {pages}-page site: {store_dir / 'baekby.sqlite'}")
    incomplete = [crawl.name for crawl in (muni, resync, small, scrapy) if crawl is not None and crawl.pages < crawl.site_pages]
    if incomplete:
        print(f"incomplete crawls: {', '.join(incomplete)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
