"""The gateway behind load balancers: `request.remote` is the client, as trusted proxies report it (muni/proxies.py).

Rate limits per client, the console's login throttle and audit log, and the loopback check of
`/metrics` all read `request.remote`; this middleware, first on the gateway, makes it the client's
address when the request came through a proxy named in MUNI_TRUSTED_PROXIES, and leaves it the
direct peer otherwise.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from muni.proxies import Network, client_address


def forwarded_client(trusted: tuple[Network, ...]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if trusted:
            client = client_address(request.remote, request.headers.getall(hdrs.X_FORWARDED_FOR, []), trusted)
            if client is not None and client != request.remote:
                request = request.clone(remote=client)
        return await handler(request)

    return middleware
