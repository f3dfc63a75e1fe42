"""The citizen's rating of a conversation, on the contact centre's 1-9 scale."""

from __future__ import annotations

from aiohttp import web

from conversation.log import MAX_COMMENT_CHARS
from conversation.state import CLOCK, LOG
from web.chat import authorised_conversation, json_object
from web.errors import ApiError
from web.wire import json_response


async def rate_conversation(request: web.Request) -> web.Response:
    """POST /api/v1/conversations/{id}/rating {"score": 1-9, "comment": str?} with the conversation's token.

    The comment is optional free text (at most MAX_COMMENT_CHARS); it is redacted before it is stored.
    """
    conversation_id = (await authorised_conversation(request)).id
    body = await json_object(request)
    score, comment = body.get("score"), body.get("comment")
    # bool is an int in Python: `true` is not a score.
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 9:
        raise ApiError(400, "invalid_score", "Feltet 'score' skal være et helt tal fra 1 til 9.")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
        raise ApiError(
            400,
            "invalid_comment",
            f"Feltet 'comment' skal være en tekst på højst {MAX_COMMENT_CHARS} tegn.",
            english=f"The field 'comment' must be a text of at most {MAX_COMMENT_CHARS} characters.",
        )
    await request.app[LOG].record_rating(conversation_id, score, request.app[CLOCK](), comment)
    return json_response({"conversation_id": conversation_id, "score": score})
