"""Headless Chromium from Debian driven by Playwright, and small local web sites to embed the widget in.

Used by the browser tests and `make bench-web`; Playwright never downloads a browser here.
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return f"Debian's Chromium is neither at {CHROMIUM} nor on PATH (make test installs it: apt-get install chromium)"
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
        def do_GET(self) -> None:
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
