"""The booking backend as the console sees it: health from booking/health.py, a bounded connection test."""

from __future__ import annotations

import os
from collections.abc import Mapping

from aiohttp import web

from booking.health import BookingHealth, BookingHealthLog, ConnectionTest, check_connection
from conversation.state import CLOCK, ENGINE


class GatewayBookingDesk:
    """Reads the health the action server records into the gateway's database; tests from the gateway."""

    def __init__(self, app: web.Application, environ: Mapping[str, str] = os.environ) -> None:
        self._app = app  # the engine is opened when the app starts: looked up per call
        self._environ = environ

    def _log(self) -> BookingHealthLog:
        return BookingHealthLog(self._app[ENGINE], self._app[CLOCK])

    async def health(self, slug: str) -> BookingHealth:
        return await self._log().health(slug)

    async def check(self, slug: str) -> ConnectionTest:
        return await check_connection(slug, self._log(), self._environ)
