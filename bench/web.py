"""`make bench-web`: what the embed script costs a municipality's page, measured in headless Chromium.

Prints the gzipped size of what loads before the citizen opens the widget (embed.js and the
municipality's embed config), and the time from navigation start to an interactive launcher
(embed.js's `muni:ready` event), plus the time from opening the widget to the assistant's greeting.
Runs the whole stack on free ports; the browser is Debian's Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import urllib.request
from pathlib import Path
from typing import Any

from bench.browser import browser_missing, chromium, host_page, site
from bench.chatclient import measurement_stack

TARGET_GZIP_BYTES = 30 * 1024
SLUG = "aarhus"


def transfer_size(url: str, origin: str) -> int:
    """Bytes on the wire with Accept-Encoding: gzip (what the gateway sends a page on origin)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", "Origin": origin})
    with urllib.request.urlopen(request, timeout=10) as response:
        return len(response.read())


def measure(gateway: str, site_url: str, runs: int, screenshot: Path | None) -> dict[str, Any]:
    ready_ms: list[float] = []
    greeting_ms: list[float] = []
    with chromium() as browser:
        for run in range(runs):
            context = browser.new_context(viewport={"width": 1000, "height": 720})
            page = context.new_page()
            page.add_init_script(
                "document.addEventListener('muni:ready', () => { window.__muniReady = performance.now(); })"
            )
            page.goto(site_url)
            page.wait_for_function("() => window.__muniReady !== undefined", timeout=30_000)
            ready_ms.append(page.evaluate("window.__muniReady"))
            opened = page.evaluate("performance.now()")
            page.get_by_role("button", name="Chat med Aarhus Kommunes digitale assistent").click()
            frame = None
            while frame is None:
                frame = next((f for f in page.frames if "/widget/" in f.url), None)
                page.wait_for_timeout(5)
            frame.wait_for_selector(".msg.bot", timeout=30_000)
            greeting_ms.append(page.evaluate("performance.now()") - opened)
            if screenshot is not None and run == runs - 1:
                frame.get_by_label("Skriv dit spørgsmål").fill("hvad koster et pas")
                frame.get_by_label("Skriv dit spørgsmål").press("Enter")
                frame.wait_for_function("() => document.querySelectorAll('.msg.bot').length >= 2", timeout=30_000)
                page.wait_for_timeout(300)
                page.screenshot(path=str(screenshot))
            context.close()
    return {"ready_ms": ready_ms, "greeting_ms": greeting_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the open widget here")
    args = parser.parse_args(argv)

    if (reason := browser_missing()) is not None:
        print(f"cannot measure: {reason}", file=sys.stderr)
        return 2
    pages: dict[str, str] = {}
    with site(pages) as municipality, measurement_stack({"MUNI_EMBED_EXTRA_ORIGINS": municipality.origin}) as config:
        gateway = config.gateway_url
        pages["/borger/pas"] = host_page(gateway, SLUG, "Pas og kørekort")
        source = Path(__file__).resolve().parents[1] / "web" / "static" / "embed.js"
        raw = source.read_bytes()
        embed_wire = transfer_size(f"{gateway}/embed.js", municipality.origin)
        config_wire = transfer_size(f"{gateway}/embed/{SLUG}/config", municipality.origin)
        timings = measure(gateway, municipality.url("/borger/pas"), args.runs, args.screenshot)

    before_open = embed_wire + config_wire
    print(f"embed.js: {len(raw):,} bytes, {len(gzip.compress(raw, 9)):,} gzipped (-9), {embed_wire:,} on the wire")
    print(f"embed config ({SLUG}): {config_wire:,} bytes on the wire")
    verdict = "within" if before_open <= TARGET_GZIP_BYTES else "OVER"
    print(f"before the citizen opens the widget: {before_open:,} bytes ({verdict} the {TARGET_GZIP_BYTES:,}-byte target)")
    for name, label in (("ready_ms", "page load → interactive launcher"), ("greeting_ms", "open → greeting shown")):
        values = timings[name]
        print(f"{label}: median {statistics.median(values):.0f} ms, max {max(values):.0f} ms over {len(values)} loads")
    if args.screenshot is not None:
        print(f"screenshot: {args.screenshot}")
    return 0 if before_open <= TARGET_GZIP_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
