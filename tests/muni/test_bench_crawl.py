"""The crawl benchmark's site generator, and its harness end to end on a small site (Muni only)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from bench.crawl.__main__ import main as bench_main
from bench.crawl.measure import measure
from bench.crawl.site import Site
from crawler.extract import extract

ORIGIN = "http://127.0.0.1:8999"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_the_site_is_the_same_every_time_it_is_generated() -> None:
    first, second = Site(ORIGIN, 50), Site(ORIGIN, 50)

    assert [first.render(n) for n in range(50)] == [second.render(n) for n in range(50)]
    assert Site(ORIGIN, 50, seed=2).render(7) != first.render(7)
    assert len({first.render(n) for n in range(50)}) == 50


def test_the_sitemaps_list_every_page_with_a_lastmod() -> None:
    site = Site(ORIGIN, 50, sitemap_max_urls=20)
    index = ElementTree.fromstring(site.sitemap_index())
    sitemap_urls = [loc.text for loc in index.findall("sm:sitemap/sm:loc", SITEMAP_NS)]

    listed: list[str] = []
    for url in sitemap_urls:
        number = int(re.fullmatch(rf"{ORIGIN}/sitemap-(\d+)\.xml", url).group(1))
        urlset = ElementTree.fromstring(site.sitemap(number))
        entries = urlset.findall("sm:url", SITEMAP_NS)
        assert len(entries) <= 20
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", entry.find("sm:lastmod", SITEMAP_NS).text) for entry in entries)
        listed += [entry.find("sm:loc", SITEMAP_NS).text for entry in entries]

    assert len(sitemap_urls) == 3
    assert listed == [site.url(n) for n in range(50)]
    assert site.sitemap(4) is None
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in site.robots_txt()


def test_every_link_on_a_page_leads_to_a_page_of_the_site() -> None:
    site = Site(ORIGIN, 50)

    for n in range(50):
        assert 5 <= len(site.links(n)) <= 15
        hrefs = re.findall(r'href="([^"]+)"', site.render(n).split("<body>", 1)[1])
        internal = [href for href in hrefs if not href.startswith("https://")]
        assert all(site.page_number(urlsplit(href).path) is not None for href in internal), n
    assert site.page_number("/borger/flytning/side-9999") is None
    assert site.page_number("/borger/flytning/side-007") is None


def test_a_generated_page_extracts_like_a_municipal_page() -> None:
    site = Site(ORIGIN, 50)

    extracted = extract(site.render(12).encode("utf-8"), site.url(12))

    assert extracted is not None
    assert "cookies" not in extracted.text and "CVR" not in extracted.text and "Relaterede sider" not in extracted.text
    assert len(extracted.sections) >= 3
    assert all(section.heading_path[0] == extracted.title for section in extracted.sections)


def test_the_harness_crawls_a_small_site_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--pages", "200", "--skip-scrapy", "--concurrency", "8", "--out", str(tmp_path)]) == 0

    printed = capsys.readouterr().out
    assert re.search(r"Muni\s+200\s+[\d.]+\s+[\d.]+\s+\d+", printed)
    assert re.search(r"Muni re-sync \(unchanged\)\s+200\s", printed)
    assert re.search(r"Muni, 20-page site\s+20\s", printed)
    assert re.search(r"re-sync of the unchanged site: [\d.]+ s = [\d.]+% of the full crawl", printed)
    assert "Scrapy" not in printed
    assert (tmp_path / "crawl" / "baekby.sqlite").is_file()


def test_peak_memory_counts_the_child_processes_too() -> None:
    # Two processes each holding 80 MiB for a while: the tree's peak is their sum, one process's is not.
    hold = "import time; block = bytearray(80 * 1024 * 1024); time.sleep(1.0)"
    script = f"import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', {hold!r}]); {hold}; child.wait()"

    run = measure([sys.executable, "-c", script])

    assert run.returncode == 0
    assert run.peak_tree_rss_kib > 160 * 1024
    assert 80 * 1024 < run.max_rss_kib < 140 * 1024
    assert run.wall_s >= 1.0
