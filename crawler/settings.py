"""The crawler's limits and settings: one frozen value per process, built from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from muni.env import SettingsError
from muni.paths import in_var

USER_AGENT = "MuniBot/0.1 (+https://github.com/muni-assistant/muni; kontakt: crawler@muni-assistant.dk)"
ROBOTS_TOKEN = "MuniBot"  # the product token robots.txt groups are matched against


@dataclass(frozen=True)
class CrawlLimits:
    """Every bound the crawler keeps: politeness, size, time and trap limits."""

    max_pages: int = 50_000
    max_depth: int = 20
    max_body_bytes: int = 5 * 1024 * 1024  # decompressed bytes of one page
    max_robots_bytes: int = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
    max_sitemap_bytes: int = 20 * 1024 * 1024
    max_sitemaps: int = 50
    max_sitemap_urls: int = 100_000
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0  # longest silence between two reads
    total_timeout_s: float = 60.0  # whole request, so a dripping body ends too
    max_redirects: int = 5
    per_host_concurrency: int = 4
    min_delay_s: float = 1.0  # between request starts on one host: politeness is on by default
    max_crawl_delay_s: float = 30.0  # a robots.txt crawl-delay above this is capped
    max_retry_after_s: float = 120.0  # a longer Retry-After gives the URL up
    max_retries: int = 2  # per URL, for 429/503 with Retry-After
    robots_ttl_s: float = 24 * 3600.0
    max_query_variants_per_path: int = 20
    max_numeric_path_variants: int = 500  # /kalender/2026/11 style URLs with one shape
    max_url_length: int = 2000
    user_agent: str = USER_AGENT
    allow_loopback: bool = False  # only for tests against a local site; never private ranges


@dataclass(frozen=True)
class CrawlSettings:
    """Where crawl stores live and the limits crawls run under."""

    store_dir: Path
    limits: CrawlLimits = field(default_factory=CrawlLimits)
    workers: int = 0  # CPU worker processes for extraction; 0 = os.cpu_count()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CrawlSettings:
        """MUNI_CRAWL_DIR (default var/crawl, muni.paths) and MUNI_CRAWL_*; SettingsError names a bad one."""
        env = os.environ if env is None else env
        store_dir = in_var(env, "MUNI_CRAWL_DIR", "crawl")
        limits = CrawlLimits()
        overrides: dict[str, Any] = {}
        for name, kind in (
            ("max_pages", int),
            ("max_depth", int),
            ("max_body_bytes", int),
            ("per_host_concurrency", int),
            ("min_delay_s", float),
            ("total_timeout_s", float),
        ):
            key = f"MUNI_CRAWL_{name.upper()}"
            if key in env:
                overrides[name] = _parse(key, env[key], kind)
        workers = _parse("MUNI_CRAWL_WORKERS", env.get("MUNI_CRAWL_WORKERS", "0"), int)
        return cls(store_dir=store_dir, limits=replace(limits, **overrides), workers=int(workers))

    def store_path(self, slug: str) -> Path:
        return self.store_dir / f"{slug}.sqlite"


def _parse(key: str, raw: str, kind: type[int] | type[float]) -> int | float:
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{key} must not be negative, got {raw!r}")
    return value
