"""How fast `muni suggest` reads a municipality's crawled website, and whether the planted values win.

`make bench-suggest` builds a website in memory (`--pages`, default 20,000 pages of four
paragraphs each): ordinary pages with numbers, prices and weekdays that are about nothing in
particular, and a few topic pages that state Borgerservice's phone number and opening hours, the
price of a passport photo and the jobcentre's number. It prints the time per page and whether
each planted value is the best suggestion for its variable.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from admin.suggestions import suggest
from knowledge import GuideLibrary
from knowledge.index.records import Chunk, StoredPage, text_hash

SLUG = "aarhus"
WORDS = (
    *("kommunen", "borger", "hjælp", "ansøgning", "skole", "affald", "bolig", "byggeri", "vej", "park", "natur"),
    *("kultur", "bibliotek", "sport", "trafik", "tilskud", "regler", "frist", "sagsbehandling", "klage", "byråd"),
    *("udvalg", "høring", "lokalplan"),
)
PLANTED = {
    "citizen_service_phone": ("Kontakt Borgerservice", "Ring til Borgerservice på 89 40 20 00.", "89 40 20 00"),
    "citizen_service_hours": (
        "Borgerservice",
        "Borgerservice har åbent:\nMandag-onsdag 10-15\nTorsdag 10-17\nFredag 10-13",
        "Mandag-onsdag 10-15, Torsdag 10-17, Fredag 10-13",
    ),
    "passport_photo_price": ("Pasfoto", "Et pasfoto i Borgerservice koster 150 kr.", 150),
    "jobcenter_phone": ("Jobcenter", "Jobcentrets telefonnummer er 89 40 11 11.", "89 40 11 11"),
}
AT = datetime(2026, 12, 1, tzinfo=UTC)


def _page(n: int, title: str, text: str) -> StoredPage:
    url = f"https://{SLUG}.dk/side/{n}"
    chunk = Chunk(SLUG, url, title, (title,), text, 0, AT, text_hash(text))
    return StoredPage(SLUG, url, title, text_hash(text), AT, (chunk,))


def website(pages: int, rng: random.Random) -> list[StoredPage]:
    found = []
    for n in range(pages):
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(14))
            + f" Sag {rng.randint(20000000, 99999999)}, gebyr {rng.randint(10, 999)} kr., mandag {rng.randint(8, 11)}-15."
            for _ in range(4)
        ]
        found.append(_page(n, rng.choice(WORDS).title(), "\n".join(paragraphs)))
    for offset, (title, text, _) in enumerate(PLANTED.values()):
        found[rng.randrange(len(found))] = _page(pages + offset, title, text)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=20_000)
    args = parser.parse_args()
    library = GuideLibrary.load()
    pages = website(args.pages, random.Random(13))
    started = time.perf_counter()
    found = suggest(library, SLUG, pages)
    elapsed = time.perf_counter() - started
    print(f"{len(pages)} pages, {sum(len(p.chunks[0].text) for p in pages) / 1e6:.1f} M characters")
    print(f"suggestions found in {elapsed:.2f} s ({elapsed / len(pages) * 1000:.2f} ms a page), {len(found)} in all")
    for variable, (_, _, value) in PLANTED.items():
        best = next((s for s in found if s.variable == variable), None)
        shown = "none" if best is None else f"{best.value!r} (score {best.score})"
        print(f"  {variable}: best {shown}, planted {value!r}: {'ok' if best and best.value == value else 'MISSED'}")


if __name__ == "__main__":
    main()
