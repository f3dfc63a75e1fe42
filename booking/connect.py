"""Open the booking port of one municipality for the duration of a conversation turn."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import aiohttp

from booking.frontdesk import FrontDeskClient
from booking.health import HealthRecorder, process_health_log
from booking.settings import booking_endpoint


@asynccontextmanager
async def open_booking(slug: str, environ: Mapping[str, str] = os.environ) -> AsyncIterator[FrontDeskClient]:
    log = process_health_log()  # every call is recorded for the console's integrations page
    recorder = None if log is None else HealthRecorder(log, slug)
    async with aiohttp.ClientSession() as session:
        yield FrontDeskClient(session, booking_endpoint(slug, environ), recorder=recorder)
