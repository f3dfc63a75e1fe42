"""Who may embed and drive a municipality's assistant: origin allow-lists, CORS and CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from conversation.state import DIRECTORY
from web.errors import ApiError
from web.state import SETTINGS

# Every response gets a policy; pages replace it with page_policy(). JSON and images need nothing.
DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_CORS_PATHS = ("/api/v1/conversations", "/embed/")


def page_policy(frame_ancestors: tuple[str, ...]) -> str:
    """A strict policy for the gateway's HTML: only its own files, no inline script or style."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )


def allowed_origins(app: web.Application, municipality: str) -> tuple[str, ...]:
    """Origins whose pages may embed the municipality's assistant and call its chat API."""
    embedding = app[DIRECTORY].embeddings.get(municipality)
    own = embedding.origins if embedding is not None else ()
    return own + app[SETTINGS].channels.extra_origins


def _all_origins(app: web.Application) -> frozenset[str]:
    origins = set(app[SETTINGS].channels.extra_origins)
    for embedding in app[DIRECTORY].embeddings.values():
        origins.update(embedding.origins)
    return frozenset(origins)


def same_origin(request: web.Request, origin: str) -> bool:
    """The gateway's own pages (the widget inside its frame, the full-page view)."""
    public = urlsplit(request.app[SETTINGS].public_url)
    return origin in (f"{request.scheme}://{request.host}", f"{public.scheme}://{public.netloc}")


def require_allowed_origin(request: web.Request, municipality: str) -> None:
    """Refuse (403) a browser request from a page on an origin the municipality has not allowed.

    Requests without an Origin header (servers, the contact centre's tools) are not browsers
    acting on a citizen's behalf from another site, and pass.
    """
    origin = request.headers.get("Origin")
    if origin is None or same_origin(request, origin) or origin in allowed_origins(request.app, municipality):
        return
    raise ApiError(403, "origin_not_allowed", "Denne hjemmeside må ikke bruge kommunens assistent.")


async def preflight(request: web.Request) -> web.Response:
    """OPTIONS for the chat API: answered for allowed origins only."""
    origin = request.headers.get("Origin", "")
    if not request.path.startswith(_CORS_PATHS) or origin not in _all_origins(request.app):
        raise ApiError(403, "origin_not_allowed", "Denne hjemmeside må ikke bruge kommunens assistent.")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: a CSP on everything, and CORS for allowed origins on the chat API."""
    response.headers.setdefault("Content-Security-Policy", DEFAULT_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if not request.path.startswith(_CORS_PATHS):
        return
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Origin" if vary and "Origin" not in vary else vary or "Origin"
    origin = request.headers.get("Origin")
    if origin is not None and origin in _all_origins(request.app):
        response.headers["Access-Control-Allow-Origin"] = origin
