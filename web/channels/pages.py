"""The browser's side of the gateway: embed.js, the chat UI (framed or full page) and deep links."""

from __future__ import annotations

import functools
import html
from pathlib import Path

from aiohttp import web

from conversation.directory import Embedding
from conversation.state import DIRECTORY
from web.channels import crisis
from web.channels.security import allowed_origins, page_policy
from web.state import SETTINGS
from web.wire import json_response

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
_ASSETS = {"chat.js": "text/javascript", "chat.css": "text/css", "embed.js": "text/javascript"}
_VIA = frozenset({"web", "sms", "qr"})
# ?lang=en opens the assistant in English (a link on a municipality's English pages, the widget's
# choice); anything else is Danish. The widget lets the citizen change it.
_PAGE_LANGUAGES = frozenset({"da", "en"})
_TITLE = {"da": "digital assistent", "en": "digital assistant"}
_NOSCRIPT = {
    "da": "Assistenten kræver JavaScript. Du kan også ringe til Den Digitale Hotline på {phone}.",
    "en": "The assistant needs JavaScript. You can also call Den Digitale Hotline (the contact centre) on {phone}.",
}


def _language(request: web.Request) -> str:
    language = request.query.get("lang", "da")
    return language if language in _PAGE_LANGUAGES else "da"


@functools.cache
def _asset(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


def _file_response(name: str, *, max_age: int) -> web.Response:
    response = web.Response(body=_asset(name), content_type=_ASSETS[name], charset="utf-8")
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    # Other sites load embed.js as a script; the assets are harmless to share.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.enable_compression()
    return response


async def embed_script(request: web.Request) -> web.Response:
    """GET /embed.js – the one line municipalities paste; small, no dependencies."""
    return _file_response("embed.js", max_age=300)


async def asset(request: web.Request) -> web.Response:
    """GET /static/{name} – the chat UI's script and style sheet."""
    name = request.match_info["name"]
    if name not in _ASSETS:
        raise web.HTTPNotFound()
    return _file_response(name, max_age=3600)


async def embed_config(request: web.Request) -> web.Response:
    """GET /embed/{slug}/config – name, colour and pages for embed.js (CORS: allowed origins only)."""
    slug = request.match_info["slug"]
    directory = request.app[DIRECTORY]
    embedding = directory.embeddings.get(slug)
    origin = request.headers.get("Origin")
    if slug not in directory.municipalities or embedding is None:
        return json_response({"error": {"code": "unknown_municipality", "message": "Kommunen findes ikke."}}, 404)
    if origin is not None and origin not in allowed_origins(request.app, slug):
        return json_response({"error": {"code": "origin_not_allowed", "message": "Siden må ikke vise assistenten."}}, 403)
    response = json_response(
        {
            "name": directory.municipalities[slug],
            "colour": embedding.colour,
            "pages": list(embedding.pages),
            "widget": f"/widget/{slug}",
        }
    )
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


async def widget_page(request: web.Request) -> web.Response:
    """GET /widget/{slug} – the chat UI inside embed.js's frame; only allowed origins may frame it."""
    slug = request.match_info["slug"]
    directory = request.app[DIRECTORY]
    embedding = directory.embeddings.get(slug)
    if slug not in directory.municipalities or embedding is None:
        return _not_found(request, slug=None)
    return _chat_page(request, slug, embedding, topic=None, channel="web", embedded=True)


async def start_page(request: web.Request) -> web.Response:
    """GET /start/{slug}[/{topic}] – a deep link (SMS, letter, QR): the assistant full page, on the topic."""
    slug, topic = request.match_info["slug"], request.match_info.get("topic")
    directory = request.app[DIRECTORY]
    embedding = directory.embeddings.get(slug)
    if slug not in directory.municipalities or embedding is None:
        return _not_found(request, slug=None)
    if topic is not None and topic not in directory.topics:
        return _not_found(request, slug=slug)
    via = request.query.get("via", "web")
    return _chat_page(request, slug, embedding, topic=topic, channel=via if via in _VIA else "web", embedded=False)


def _chat_page(
    request: web.Request, slug: str, embedding: Embedding, *, topic: str | None, channel: str, embedded: bool
) -> web.Response:
    directory = request.app[DIRECTORY]
    name = directory.municipalities[slug]
    domains = (embedding.website, *request.app[SETTINGS].channels.link_domains)
    language = _language(request)
    data = {
        "municipality": slug,
        "name": name,
        "colour": embedding.colour,
        "topic": topic or "",
        "channel": channel,
        "embedded": "1" if embedded else "",
        "link-domains": " ".join(domains),
        "language": language,
        "crisis-poll": str(crisis.POLL_S),
    }
    attributes = " ".join(f'data-{key}="{html.escape(value)}"' for key, value in data.items())
    title = f"{name} – {_TITLE[language]}"
    if topic is not None and language == "da":
        title = f"{directory.topic_titles.get(topic, topic)} – {title}"
    noscript = _NOSCRIPT[language].format(phone=html.escape(directory.contact_centre.phone))
    body = (
        f'<main id="muni" class="{"embedded" if embedded else "full"}" {attributes}>'
        f"<noscript><p>{noscript}</p></noscript></main>"
        '<script src="/static/chat.js" defer></script>'
    )
    ancestors = allowed_origins(request.app, slug) if embedded else ()
    return _html(title, body, status=200, policy=page_policy(ancestors), language=language)


def _not_found(request: web.Request, *, slug: str | None) -> web.Response:
    """A friendly Danish page for an unknown municipality or topic (never echoes the bad value)."""
    directory = request.app[DIRECTORY]
    centre = directory.contact_centre
    start = ""
    if slug is not None:
        name = html.escape(directory.municipalities[slug])
        start = f'<p><a href="/start/{html.escape(slug)}">Stil dit spørgsmål til {name}s digitale assistent</a></p>'
    body = (
        '<main id="notfound"><h1>Vi kan ikke finde siden</h1>'
        "<p>Linket er forkert eller forældet. Det er ikke din skyld.</p>"
        f"{start}"
        f"<p>Du kan altid få hjælp hos Den Digitale Hotline på telefon {html.escape(centre.phone)} "
        f"({html.escape(centre.hours_text())}), eller læse mere på "
        '<a href="https://www.borger.dk">borger.dk</a>.</p></main>'
    )
    return _html("Siden findes ikke – Muni", body, status=404, policy=page_policy(()))


def _html(title: str, body: str, *, status: int, policy: str, language: str = "da") -> web.Response:
    document = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/static/chat.css"></head>'
        f"<body>{body}</body></html>"
    )
    response = web.Response(text=document, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = policy
    response.headers["Cache-Control"] = "no-store"
    return response
