"""Sitemaps (urlset and sitemap index, plain or gzipped): pure parsing, bounded."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from crawler.bodies import gunzip_capped


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: str | None  # normalised to UTC ISO 8601, so stored values compare as strings


@dataclass(frozen=True)
class Sitemap:
    pages: tuple[SitemapEntry, ...]
    sitemaps: tuple[str, ...]  # child sitemaps of a sitemap index


class SitemapError(ValueError):
    """The body is not a sitemap the crawler can read."""


def parse_sitemap(data: bytes, *, max_bytes: int, max_urls: int) -> Sitemap:
    """Read a sitemap body; entries past `max_urls` are dropped. Entities and DTDs are never loaded."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip_capped(data, max_bytes)
    pages: list[SitemapEntry] = []
    children: list[str] = []
    loc: str | None = None
    lastmod: str | None = None
    try:
        events = etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            recover=True,
        )
        for _, element in events:
            tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
            if tag == "loc":
                loc = (element.text or "").strip() or None
            elif tag == "lastmod":
                lastmod = parse_lastmod(element.text or "")
            elif tag in ("url", "sitemap"):
                if loc is not None and len(pages) + len(children) < max_urls:
                    if tag == "url":
                        pages.append(SitemapEntry(loc, lastmod))
                    else:
                        children.append(loc)
                loc, lastmod = None, None
                element.clear()
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    return Sitemap(pages=tuple(pages), sitemaps=tuple(children))


def parse_lastmod(text: str) -> str | None:
    """A W3C datetime (2026-11-23, 2026-11-23T10:00+01:00, ...) as UTC ISO 8601, or None."""
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.strptime(text[:7], "%Y-%m") if len(text) == 7 else datetime.strptime(text[:4], "%Y")
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")
