"""Fixtures every crawler test shares: the counting local site and a crawl store's path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.crawler.local_site import LocalSite


@pytest.fixture
async def site(aiohttp_server) -> AsyncIterator[LocalSite]:  # type: ignore[no-untyped-def]
    local = LocalSite()
    server = await aiohttp_server(local.app())
    local.base = str(server.make_url("")).rstrip("/")
    yield local
    local.released.set()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "testby.sqlite"
