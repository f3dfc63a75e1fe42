"""QR codes for letters: print-ready SVG and PNG of a deep link, made with segno."""

from __future__ import annotations

import io

import segno
from aiohttp import web

from conversation.state import DIRECTORY
from web.channels.links import deep_link
from web.state import SETTINGS

_KINDS = {"svg": "image/svg+xml", "png": "image/png"}


async def qr_code(request: web.Request) -> web.Response:
    """GET /qr/{slug}/{topic}.svg|.png – the code opens /start/{slug}/{topic} (channel qr)."""
    slug, topic, kind = request.match_info["slug"], request.match_info["topic"], request.match_info["kind"]
    directory = request.app[DIRECTORY]
    if slug not in directory.municipalities or topic not in directory.topics or kind not in _KINDS:
        raise web.HTTPNotFound()
    url = deep_link(request.app[SETTINGS].public_url, slug, topic, via="qr")
    # Level M survives a smudge or a fold in a letter; the 4-module quiet zone is the standard's.
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    if kind == "svg":
        code.save(buffer, kind="svg", scale=10, border=4, title=f"QR-kode: {url}", xmldecl=True)
    else:
        code.save(buffer, kind="png", scale=12, border=4, dpi=300)
    response = web.Response(body=buffer.getvalue(), content_type=_KINDS[kind])
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Content-Disposition"] = f'inline; filename="muni-{slug}-{topic}.{kind}"'
    return response
