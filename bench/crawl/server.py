"""Serves a generated site on 127.0.0.1 from its own process: `python -m bench.crawl.server --pages N`.

Prints `listening on http://127.0.0.1:PORT` once it accepts connections. Pages are
rendered on request (about 0.2 ms each), with an ETag and Last-Modified that the
server honours, as a municipal CMS does, so a re-sync can ask "changed since?".
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import socket
from datetime import UTC, datetime, time
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

from bench.crawl.site import Site

SITE_KEY = web.AppKey("site", Site)


def create_app(site: Site) -> web.Application:
    app = web.Application()
    app[SITE_KEY] = site
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/sitemap.xml", sitemap_index)
    app.router.add_get("/sitemap-{number:[0-9]+}.xml", sitemap)
    app.router.add_get("/{path:.*}", page)
    return app


async def robots(request: web.Request) -> web.Response:
    return web.Response(text=request.app[SITE_KEY].robots_txt(), content_type="text/plain")


async def sitemap_index(request: web.Request) -> web.Response:
    return web.Response(text=request.app[SITE_KEY].sitemap_index(), content_type="application/xml")


async def sitemap(request: web.Request) -> web.Response:
    body = request.app[SITE_KEY].sitemap(int(request.match_info["number"]))
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(text=body, content_type="application/xml")


async def page(request: web.Request) -> web.Response:
    site = request.app[SITE_KEY]
    n = site.page_number(request.path)
    if n is None:
        raise web.HTTPNotFound(text="Siden findes ikke")
    etag = site.etag(n)
    modified = datetime.combine(site.lastmod(n), time(6, 0), tzinfo=UTC)
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
    if _not_modified(request, etag, modified):
        return web.Response(status=304, headers=headers)
    return web.Response(text=site.render(n), content_type="text/html", charset="utf-8", headers=headers)


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    if (match := request.headers.get("If-None-Match")) is not None:
        return etag in (tag.strip() for tag in match.split(","))
    if (since := request.headers.get("If-Modified-Since")) is not None:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


async def serve(site_pages: int, seed: int, port: int) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
    runner = web.AppRunner(create_app(Site(origin=origin, pages=site_pages, seed=seed)), access_log=None)
    await runner.setup()
    await web.SockSite(runner, listener, backlog=1024).start()
    print(f"listening on {origin}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    # uvloop (installed with rasa-sdk's sanic) keeps the server far from being the bottleneck.
    run = asyncio.run
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        run = uvloop.run
    run(serve(args.pages, args.seed, args.port))


if __name__ == "__main__":
    main()
