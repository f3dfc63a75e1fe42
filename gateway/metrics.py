"""GET /metrics: the gateway's Prometheus metrics, for loopback clients or with the metrics token."""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from conversation.state import METRICS
from gateway.state import SETTINGS
from web.errors import ApiError

# A reverse proxy on the same machine makes every request look local: a forwarded request never is.
_FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text; 403 unless the client is on loopback or sends `Authorization: Bearer <MUNI_METRICS_TOKEN>`."""
    if not (_from_loopback(request) or _has_token(request, request.app[SETTINGS].metrics_token)):
        raise ApiError(403, "forbidden", "Målingerne er kun for driften (fra maskinen selv eller med adgangsnøgle).")
    body = generate_latest(request.app[METRICS].registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def _from_loopback(request: web.Request) -> bool:
    if any(header in request.headers for header in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def _has_token(request: web.Request, token: str | None) -> bool:
    if token is None:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
