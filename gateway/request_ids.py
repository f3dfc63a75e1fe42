"""Every request gets an id: a valid incoming X-Request-ID, or a new one; it is in the response and the logs."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from muni.logs import REQUEST_ID, REQUEST_ID_HEADER, new_request_id, valid_request_id


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
    # Reset afterwards: one connection's task serves its keep-alive requests one after another.
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    if not response.prepared:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response
