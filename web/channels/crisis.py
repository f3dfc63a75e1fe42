"""The public read of crisis mode: `GET /api/v1/crisis/{slug}`, for the widget's banner and municipalities' own websites."""

from __future__ import annotations

from aiohttp import web

from conversation.state import CRISES, DIRECTORY
from web.errors import ApiError
from web.wire import json_response

MAX_AGE_S = 30  # a website's banner follows a change within half a minute
POLL_S = 30  # how often an open widget asks (data-crisis-poll): a change shows within CACHE_FOR + 30 s + 30 s at most


async def public_crisis(request: web.Request) -> web.Response:
    """The active crisis (or `{"active": false}`); served from the gateway's own state, never from Rasa."""
    slug = request.match_info["slug"]
    if slug not in request.app[DIRECTORY].municipalities:
        raise ApiError(404, "unknown_municipality", "Kommunen findes ikke.")
    crisis = await request.app[CRISES].active(slug)
    body = {"active": False, "municipality": slug} if crisis is None else {"active": True, **crisis.public()}
    response = json_response(body)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public information, for any municipality's page
    return response
