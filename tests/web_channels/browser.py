"""Browser-test helpers: a gateway in a thread and axe-core scans (the browser itself is bench.browser)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.browser import browser_missing, chromium, host_page, site
from ops.supervisor import ROOT

__all__ = ["AXE", "axe_violations", "browser_missing", "chromium", "host_page", "in_thread", "site", "widget_page"]

AXE = ROOT / "web" / "tests-node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@contextlib.contextmanager
def in_thread(make_apps: Callable[[], list[web.Application]]) -> Iterator[list[str]]:
    """Serve aiohttp applications from a background event loop; yields their base URLs."""
    loop = asyncio.new_event_loop()
    runners: list[web.AppRunner] = []
    urls: list[str] = []

    async def start() -> None:
        for app in make_apps():
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site_ = web.TCPSite(runner, "127.0.0.1", 0)
            await site_.start()
            runners.append(runner)
            port = runner.addresses[0][1]
            urls.append(f"http://127.0.0.1:{port}")

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield urls
    finally:
        async def stop() -> None:
            for runner in reversed(runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def axe_violations(page: Any, *, min_framed_checks: int = 0) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page and its frames; the context must bypass CSP.

    min_framed_checks: how many passed checks must lie inside a frame (proves the frame was scanned).
    """
    origins = sorted({re.match(r"https?://[^/]+", f.url).group(0) for f in page.frames if f.url.startswith("http")})
    for frame in page.frames:
        frame.add_script_tag(path=str(AXE))
        # axe talks to frames on other origins (the widget's) only when told which.
        frame.evaluate("origins => axe.configure({allowedOrigins: origins})", origins)
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}}
    result = page.evaluate("options => axe.run(document, options)", options)
    assert len(result["passes"]) >= 5, "axe ran hardly any rule: is the page empty?"
    framed = [n for rule in result["passes"] for n in rule["nodes"] if len(n["target"]) > 1]
    assert len(framed) >= min_framed_checks, f"only {len(framed)} checks inside frames"
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5], "help": v["help"]}
        for v in result["violations"]
    ]




@contextlib.contextmanager
def widget_page(database: Path, rasa: web.Application, **app_options: Any) -> Iterator[str]:
    """A gateway on the SQLite file `database` with `rasa` as its bot, and Aarhus's passport page embedding
    its widget (on a site of its own origin); yields the page's URL. `app_options` go to `create_app`."""
    from conversation.directory import Directory, Embedding
    from gateway.app import create_app
    from gateway.settings import GatewaySettings
    from tests.web.support import FakeContactCentre
    from web.channels.settings import WebChannelSettings

    pages: dict[str, str] = {}
    with site(pages) as municipality_site, in_thread(lambda: [rasa]) as (rasa_url,):
        settings = GatewaySettings(
            secret_key="browser-" + "s" * 40,
            rasa_url=rasa_url,
            actions_url=rasa_url,
            database_url=f"sqlite+aiosqlite:///{database}",
            channels=WebChannelSettings(extra_origins=(municipality_site.origin,)),
        )
        directory = Directory(
            municipalities={"aarhus": "Aarhus Kommune"},
            topics=frozenset({"passport"}),
            contact_centre=FakeContactCentre(),
            embeddings={"aarhus": Embedding(website="aarhus.dk", origins=("https://aarhus.dk",))},
        )
        with in_thread(lambda: [create_app(settings, directory, **app_options)]) as (gateway_url,):
            pages["/borger/pas"] = host_page(gateway_url, "aarhus", "Pas")
            yield municipality_site.url("/borger/pas")
