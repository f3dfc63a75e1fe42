"""One error shape for every failure: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import DBAPIError

from conversation.fallback import fallback_messages
from conversation.state import CLOCK, DIRECTORY
from web.wire import json_response

logger = logging.getLogger("muni.web.errors")

# The language of the conversation a request is about, once a handler knows it ("en" or "da");
# the error middleware then answers in English for "en". Danish where nothing set it.
REQUEST_LANGUAGE = web.RequestKey("muni_language", str)

# The English messages of the errors a citizen can meet in the widget (by code); a code missing
# here is answered in Danish. Messages with figures in them come with the ApiError (`english`).
ENGLISH_MESSAGES: dict[str, str] = {
    "bad_request": "The request is not valid.",
    "unauthorized": "Missing or invalid access token.",
    "forbidden": "Access denied.",
    "not_found": "This address does not exist.",
    "method_not_allowed": "This method is not allowed for this address.",
    "body_too_large": "The message is too large (at most 16 KB).",
    "unsupported_media_type": "This content type is not supported.",
    "rate_limited": "Too many requests. Please wait a moment and try again.",
    "unavailable": "The service is temporarily unavailable.",
    "internal_error": "An unexpected error occurred. Please try again later.",
    "invalid_json": "The request is not valid JSON.",
    "invalid_body": "The request must be a JSON object.",
    "invalid_token": "The access token does not match the conversation.",
    "missing_token": "Access token missing (Authorization: Bearer <token>).",
    "unknown_conversation": "The conversation does not exist.",
    "text_and_payload": "Send either 'text' or 'payload', not both.",
    "missing_text": "The message lacks the field 'text' (or 'payload').",
    "invalid_text": "The field 'text' must be a text.",
    "empty_text": "The message is empty. Please write your question.",
    "invalid_score": "The field 'score' must be a whole number from 1 to 9.",
    "origin_not_allowed": "This website may not use the municipality's assistant.",
    "unknown_municipality": "Muni does not know this municipality.",
    "unknown_topic": "The topic in the field 'topic' does not exist.",
}

# aiohttp's own HTTP errors (unknown path, wrong method, body too large) mapped to stable codes.
_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Forespørgslen er ugyldig."),
    401: ("unauthorized", "Manglende eller ugyldig adgangsnøgle."),
    403: ("forbidden", "Adgang nægtet."),
    404: ("not_found", "Adressen findes ikke."),
    405: ("method_not_allowed", "Metoden er ikke tilladt for denne adresse."),
    413: ("body_too_large", "Beskeden er for stor (højst 16 KB)."),
    415: ("unsupported_media_type", "Indholdstypen understøttes ikke."),
    429: ("rate_limited", "For mange forespørgsler. Vent lidt, og prøv igen."),
    503: ("unavailable", "Tjenesten er midlertidigt utilgængelig."),
}


class ApiError(Exception):
    """An error the API reports to its client with a machine-readable code."""

    def __init__(self, status: int, code: str, message: str, english: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.english = english if english is not None else ENGLISH_MESSAGES.get(code)

    def message_in(self, language: str | None) -> str:
        """The message in English for "en" where there is one, else in Danish."""
        return self.english if language == "en" and self.english is not None else self.message


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Translate every error into the JSON error shape; never let an HTML 500 page out."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message_in(request.get(REQUEST_LANGUAGE)))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code, message = _HTTP_CODES.get(error.status, (f"http_{error.status}", error.reason))
        english = request.get(REQUEST_LANGUAGE) == "en" and code in ENGLISH_MESSAGES
        response = error_response(error.status, code, ENGLISH_MESSAGES[code] if english else message)
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except (DBAPIError, ConnectionError) as error:
        if not _unreachable(error):
            logger.exception("Unhandled error on %s %s", request.method, request.path)
            return _internal_error(request)
        # The conversation log is down (PostgreSQL gone, the disk full): say so with a way to a person,
        # never carry on in memory.
        logger.error("Database unavailable on %s %s: %s", request.method, request.path, error)
        return _store_unavailable(request)
    except Exception:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _internal_error(request)


def _internal_error(request: web.Request) -> web.Response:
    unexpected = ApiError(500, "internal_error", "Der opstod en uventet fejl. Prøv igen senere.")
    return error_response(500, unexpected.code, unexpected.message_in(request.get(REQUEST_LANGUAGE)))


def _unreachable(error: Exception) -> bool:
    """A lost or refused database connection (a server down) or a full disk, not an error in what was asked."""
    if isinstance(error, ConnectionError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    full = any(sign in str(error.orig) for sign in ("database or disk is full", "No space left on device"))
    return error.connection_invalidated or isinstance(error.orig, OSError) or full


def _store_unavailable(request: web.Request) -> web.Response:
    """503 with the contact centre's phone and hours (the chat API's scripted text), or a short notice."""
    directory = request.config_dict.get(DIRECTORY)
    clock = request.config_dict.get(CLOCK)
    language = request.get(REQUEST_LANGUAGE) or "da"
    if directory is None or clock is None:
        message = ENGLISH_MESSAGES["unavailable"] if language == "en" else _HTTP_CODES[503][1]
    else:
        message = "\n".join(m["text"] for m in fallback_messages(directory.contact_centre, clock(), language))
    return error_response(503, "unavailable", message)
