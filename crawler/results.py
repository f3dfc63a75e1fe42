"""The crawl's values: what the frontier hands out, and the one result record each URL gets."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from knowledge.index.records import StoredPage


class Outcome(enum.StrEnum):
    STORED = "stored"  # fetched, and its content is stored
    UNCHANGED = "unchanged"  # 304, or the sitemap's lastmod says so: the stored page stands
    NO_CONTENT = "no content"  # HTML with nothing to index (or noindex)
    REDIRECTED = "redirected"  # the content lives at the redirect's target, recorded under that URL
    SKIPPED = "skipped"  # robots.txt, not HTML, a redirect off the site
    GONE = "gone"  # 404 or 410
    ERROR = "error"  # the reason says why; a stored page stays


@dataclass(frozen=True)
class FrontierUrl:
    """A URL taken from the frontier with what the last crawl learnt about it."""

    url: str
    depth: int
    sitemap_lastmod: str | None = None
    synced_lastmod: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    has_page: bool = False

    @property
    def unchanged_per_sitemap(self) -> bool:
        return (
            self.has_page
            and self.sitemap_lastmod is not None
            and self.synced_lastmod is not None
            and self.sitemap_lastmod <= self.synced_lastmod
        )


@dataclass(frozen=True)
class UrlResult:
    url: str
    outcome: Outcome
    depth: int = 0
    reason: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    synced_lastmod: str | None = None
    fetched_at: datetime | None = None
    page: StoredPage | None = None
    outlinks: tuple[str, ...] | None = None  # None keeps what is stored


@dataclass(frozen=True)
class UrlRecord:
    """A URL's row in the store, as tests and the CLI read it."""

    url: str
    run: int
    depth: int
    state: str
    outcome: str | None
    reason: str | None
    status: int | None
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None
    has_page: bool = False
    gone: bool = False


@dataclass(frozen=True)
class RunInfo:
    number: int
    resumed: bool


@dataclass(frozen=True)
class RunSummary:
    run: int
    outcomes: dict[str, int] = field(default_factory=dict)
    top_reasons: tuple[tuple[str, int], ...] = ()
    complete: bool = False
    gone_marked: int = 0
    elapsed_s: float = 0.0
    fetched: int = 0  # HTTP fetches this process made for pages

    @property
    def found_nothing(self) -> bool:
        """No page stored or still standing: the site, or its robots.txt, failed before any content."""
        return self.outcomes.get(Outcome.STORED, 0) + self.outcomes.get(Outcome.UNCHANGED, 0) == 0

    @property
    def pages_per_s(self) -> float:
        return self.fetched / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def lines(self) -> list[str]:
        """The summary a person reads at the end of a crawl."""
        state = "complete" if self.complete else "incomplete"
        total = sum(self.outcomes.values())
        lines = [
            f"crawl run {self.run} {state}: {total} URLs in {self.elapsed_s:.1f} s"
            f" ({self.fetched} fetched, {self.pages_per_s:.1f} pages/s), {self.gone_marked} marked gone"
        ]
        lines += [f"  {outcome}: {count}" for outcome, count in sorted(self.outcomes.items())]
        if self.top_reasons:
            lines.append("  why:")
            lines += [f"    {reason}: {count}" for reason, count in self.top_reasons]
        return lines
