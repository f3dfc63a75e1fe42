"""The citizen's rating of a conversation, on the contact centre's 1-9 scale."""

from __future__ import annotations

from aiohttp import web

from conversation.state import CLOCK, CONVERSATIONS, LOG
from web.channels.security import require_allowed_origin
from web.chat import bearer_token, json_object
from web.errors import REQUEST_LANGUAGE, ApiError
from web.state import SIGNER
from web.wire import json_response


async def rate_conversation(request: web.Request) -> web.Response:
    """POST /api/v1/conversations/{id}/rating {"score": 1-9} with the conversation's token."""
    conversation_id = request.match_info["conversation_id"]
    if not request.app[SIGNER].verify(conversation_id, bearer_token(request)):
        raise ApiError(401, "invalid_token", "Adgangsnøglen passer ikke til samtalen.")
    conversation = await request.app[CONVERSATIONS].find(conversation_id)
    if conversation is None:
        raise ApiError(404, "unknown_conversation", "Samtalen findes ikke.")
    request[REQUEST_LANGUAGE] = conversation.language
    require_allowed_origin(request, conversation.municipality)
    score = (await json_object(request)).get("score")
    # bool is an int in Python: `true` is not a score.
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 9:
        raise ApiError(400, "invalid_score", "Feltet 'score' skal være et helt tal fra 1 til 9.")
    await request.app[LOG].record_rating(conversation_id, score, request.app[CLOCK]())
    return json_response({"conversation_id": conversation_id, "score": score})
