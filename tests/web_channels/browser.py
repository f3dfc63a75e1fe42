"""Headless Chromium from Debian driven by Playwright, local test sites, and a gateway in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import re
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from muni.run import ROOT

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "web" / "tests-node" / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed (make test installs it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium; Playwright never downloads a browser of its own here."""
    from playwright.sync_api import sync_playwright

    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Site:
    """A web site of a municipality (or a stranger) on 127.0.0.1, serving the given pages."""

    origin: str
    server: http.server.ThreadingHTTPServer

    def url(self, path: str) -> str:
        return self.origin + path


@contextlib.contextmanager
def site(pages: dict[str, str]) -> Iterator[Site]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", server)
    finally:
        server.shutdown()
        server.server_close()


def host_page(gateway: str, slug: str, title: str) -> str:
    """A municipality's page with hostile CSS of its own, embedding the script as the README says."""
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        "<style>*{font-family:serif!important} button{background:red!important;color:red!important;"
        "font-size:40px!important} iframe{display:none} div{border:5px solid lime}</style></head>"
        f'<body><header><a href="/">Forside</a></header><main><h1>{title}</h1><p>Kommunens egen tekst.</p></main>'
        f'<script src="{gateway}/embed.js" data-municipality="{slug}" async></script></body></html>'
    )


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


