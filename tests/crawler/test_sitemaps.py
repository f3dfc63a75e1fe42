"""Sitemaps: urlset and index, gzipped, lastmod, bounded, no entity expansion."""

from __future__ import annotations

import gzip

import pytest

from crawler.bodies import BodyTooLarge
from crawler.sitemaps import parse_lastmod, parse_sitemap

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://testby.dk/borger</loc><lastmod>2026-11-01T10:00:00+01:00</lastmod></url>
  <url><loc> https://testby.dk/affald </loc></url>
  <url><lastmod>2026-01-01</lastmod></url>
</urlset>"""


def test_urlset_with_lastmod_in_utc() -> None:
    sitemap = parse_sitemap(URLSET, max_bytes=1 << 20, max_urls=100)
    assert [(e.url, e.lastmod) for e in sitemap.pages] == [
        ("https://testby.dk/borger", "2026-11-01T09:00:00+00:00"),
        ("https://testby.dk/affald", None),
    ]


def test_index_gzip_and_bounds() -> None:
    index = b"<sitemapindex>" + b"".join(
        b"<sitemap><loc>https://testby.dk/s%d.xml</loc></sitemap>" % n for n in range(10)
    ) + b"</sitemapindex>"
    sitemap = parse_sitemap(gzip.compress(index), max_bytes=1 << 20, max_urls=3)
    assert sitemap.sitemaps == ("https://testby.dk/s0.xml", "https://testby.dk/s1.xml", "https://testby.dk/s2.xml")


def test_gzipped_sitemap_bomb_is_cut() -> None:
    with pytest.raises(BodyTooLarge):
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * (8 << 20)), max_bytes=1 << 20, max_urls=10)


def test_entities_are_not_expanded() -> None:
    laughs = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
    <!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>https://testby.dk/&b;&x;</loc></url></urlset>"""
    sitemap = parse_sitemap(laughs, max_bytes=1 << 20, max_urls=10)
    assert all("aaaa" not in e.url and "root" not in e.url for e in sitemap.pages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026", "2026-01-01T00:00:00+00:00"), ("2026-11", "2026-11-01T00:00:00+00:00"), ("2026-11-23Z", None), ("i går", None)],
)
def test_lastmod_formats(text: str, expected: str | None) -> None:
    if text == "2026-11-23Z":
        expected = parse_lastmod("2026-11-23T00:00:00Z")
    assert parse_lastmod(text) == expected
