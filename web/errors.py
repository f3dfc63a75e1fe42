"""One error shape for every failure: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from web.wire import json_response

logger = logging.getLogger("muni.web.errors")

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

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Translate every error into the JSON error shape; never let an HTML 500 page out."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code, message = _HTTP_CODES.get(error.status, (f"http_{error.status}", error.reason))
        response = error_response(error.status, code, message)
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Der opstod en uventet fejl. Prøv igen senere.")
