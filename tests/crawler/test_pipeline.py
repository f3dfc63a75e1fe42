"""A fetched page becomes its links and its chunks; the page hash decides re-indexing."""
from __future__ import annotations

from datetime import UTC, datetime

from crawler.pipeline import process_page

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEXT = "Genbrugspladsen har åbent alle dage fra klokken 7 til 19. Husk at sortere dit affald hjemmefra."


def _page(title: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{TEXT}</p>"
        '<a href="/affald">Affald</a> <a href="https://example.org/x">Andet sted</a></main></body></html>'
    ).encode()


def test_a_page_keeps_its_on_site_links_and_chunks() -> None:
    processed = process_page(_page("Genbrugspladsen"), "https://odder.dk/genbrug", "odder", NOW)
    assert processed.links == ("https://odder.dk/affald",)
    assert processed.page is not None and processed.page.title == "Genbrugspladsen"
    assert TEXT in processed.page.chunks[0].text


def test_a_renamed_page_gets_a_new_hash_so_it_is_re_indexed() -> None:
    first = process_page(_page("Genbrugspladsen"), "https://odder.dk/genbrug", "odder", NOW).page
    again = process_page(_page("Genbrugspladsen"), "https://odder.dk/genbrug", "odder", NOW).page
    renamed = process_page(_page("Genbrugsstationen"), "https://odder.dk/genbrug", "odder", NOW).page
    assert first is not None and again is not None and renamed is not None
    assert first.content_hash == again.content_hash
    assert renamed.content_hash != first.content_hash
