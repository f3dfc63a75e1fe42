"""`python -m booking.sandbox`: the SANDBOX booking server on loopback (default port 8090)."""

from __future__ import annotations

import logging

from aiohttp import web

from booking.sandbox.app import SandboxSettings, create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = SandboxSettings.from_env()
    print(f"SANDBOX booking server (not a real booking system) on http://{settings.host}:{settings.port}", flush=True)
    # No access log: request paths may carry booking references.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
