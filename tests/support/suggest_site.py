"""A crawl store for suggestion tests: Aarhus's and Skive's pages stating a phone number, opening hours and prices.

Written through the crawler's own store (`CrawlStore.record`), so the suggestion finder reads
exactly what `muni crawl` leaves behind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawler.results import Outcome, UrlResult
from crawler.store import CrawlStore
from knowledge.index.records import Chunk, StoredPage, text_hash

CRAWLED_AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

# (url, title, headings, text) per municipality.
PAGES = {
    "aarhus": (
        (
            "https://aarhus.dk/borger/borgerservice/kontakt",
            "Kontakt Borgerservice",
            ("Borgerservice",),
            "Kontakt Borgerservice\nRing til Borgerservice på 89 40 20 00.\n"
            "Borgerservice har åbent:\nMandag: 10-15\nTirsdag-torsdag 10-17\nFredag 10-13\n"
            "Skriv til borgerservice@aarhus.dk.",
        ),
        (
            "https://aarhus.dk/borger/pas/pasfoto",
            "Pasfoto",
            ("Pas og kørekort", "Pasfoto"),
            "Vi tager dit pasfoto i Borgerservice. Et pasfoto koster 150 kr.\nJobcentret har telefon 89 40 11 11.",
        ),
        (
            "https://aarhus.dk/job/jobcenter",
            "Jobcenter Aarhus",
            ("Job",),
            "Jobcentrets telefonnummer er 89 40 11 11. Åbent mandag-fredag 8-15.",
        ),
    ),
    "skive": (
        (
            "https://skive.dk/borgerservice",
            "Borgerservice",
            ("Borgerservice",),
            "Ring til Borgerservice på 99 15 55 00. Borgerservice har åbent mandag-fredag 9-14.\n"
            "Et pasfoto koster 99 kr. hos os.",
        ),
    ),
}


def suggestion_page(municipality: str, url: str, title: str, headings: tuple[str, ...], text: str) -> StoredPage:
    chunk = Chunk(municipality, url, title, headings, text, 0, CRAWLED_AT, text_hash(text))
    return StoredPage(municipality, url, title, text_hash(text), CRAWLED_AT, (chunk,))


def write_crawl_stores(crawl_dir: Path) -> None:
    """`<crawl_dir>/<slug>.sqlite` for each municipality in PAGES, one finished run."""
    for municipality, pages in PAGES.items():
        store = CrawlStore(crawl_dir / f"{municipality}.sqlite")
        try:
            store.begin_run()
            for url, title, headings, text in pages:
                page = suggestion_page(municipality, url, title, headings, text)
                store.record(UrlResult(url, Outcome.STORED, status=200, fetched_at=CRAWLED_AT, page=page))
            store.commit()
            store.finish_run(complete=True)
        finally:
            store.close()
