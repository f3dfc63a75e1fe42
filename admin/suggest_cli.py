"""`muni suggest --municipality SLUG | --all`: refresh the suggested values from the crawl stores.

Run after `muni crawl` and `muni index` (the console's crawl button and the scheduled re-sync do).
It reads only the municipality's own crawl store and writes only its suggestions; it publishes
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from admin.suggestions import SuggestionStore, suggest
from conversation.schema import upgrade_database
from knowledge import GuideLibrary
from knowledge.index.records import PageSources
from knowledge.suggestions import Suggestion
from muni.clock import Clock, utc_now
from muni.db import database_url_from_env, open_engine
from muni.env import SettingsError
from muni.paths import in_var

Websites = Callable[[Path], PageSources]  # the crawl folder's stores; the composition root picks the kind


def register(commands: Any, *, websites: Websites) -> None:
    parser = commands.add_parser("suggest", help="find suggested local values on the municipalities' crawled websites")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--municipality", metavar="SLUG", help="only this municipality")
    which.add_argument("--all", action="store_true", help="every municipality with a crawl store")
    parser.set_defaults(handler=functools.partial(run_suggest, websites=websites))


def run_suggest(args: argparse.Namespace, *, websites: Websites) -> int:
    try:
        url = database_url_from_env(os.environ)
    except SettingsError as error:
        print(f"muni suggest: {error}", file=sys.stderr)
        return 2
    sources = websites(in_var(os.environ, "MUNI_CRAWL_DIR", "crawl"))
    return asyncio.run(refresh(args, url, sources, GuideLibrary.load(), sys.stdout, utc_now))


async def refresh(
    args: argparse.Namespace, url: str, sources: PageSources, library: GuideLibrary, out: TextIO, clock: Clock
) -> int:
    crawled = set(sources.municipalities())
    if args.all:
        slugs = sorted(crawled & set(library.municipalities))
    elif args.municipality not in library.municipalities:
        print(f"muni suggest: ukendt kommune {args.municipality!r}", file=sys.stderr)
        return 2
    elif args.municipality not in crawled:
        print(f"muni suggest: {args.municipality}s hjemmeside er ikke gennemgået endnu (muni crawl)", file=sys.stderr)
        return 1
    else:
        slugs = [args.municipality]
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        store = SuggestionStore(engine)
        for slug in slugs:
            found = await asyncio.to_thread(_find, sources, slug, library)
            refreshed = await store.refresh(slug, found, clock())
            print(f"{slug}: {refreshed.found} forslag ({refreshed.new} nye, {refreshed.dropped} fjernet)", file=out)
    finally:
        await engine.dispose()
    return 0


def _find(sources: PageSources, slug: str, library: GuideLibrary) -> list[Suggestion]:
    """In one worker thread: a crawl store's connection stays in the thread that opened it."""
    with sources.open(slug) as website:
        return suggest(library, slug, website.live_pages())
