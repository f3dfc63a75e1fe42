"""PostgreSQL stopped (or the disk full) under a running gateway: a clear 503 with the contact centre, never a silent
fallback to memory; the gateway answers again once the server is back."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.faultproxy import TcpFaultProxy
from gateway.settings import GatewaySettings
from tests.web.support import CONTACT_PHONE, ClientFactory, error_of, say, start


@pytest.fixture
def database_proxy(postgres_url: str) -> Iterator[tuple[TcpFaultProxy, str]]:
    url = make_url(postgres_url)
    proxy = TcpFaultProxy(url.port or 5432)
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        proxy.close()


async def test_a_database_cut_gives_503_with_the_contact_centre_then_heals(
    make_client: ClientFactory, settings: GatewaySettings, database_proxy: tuple[TcpFaultProxy, str]
) -> None:
    proxy, url = database_proxy
    client = await make_client(settings=dataclasses.replace(settings, database_url=url))
    conversation = await start(client)
    assert (await say(client, conversation, text="hvad koster et pas")).status == 200

    proxy.cut()
    down = await say(client, conversation, text="hvad koster et pas")
    assert down.status == 503
    error = await error_of(down)
    assert error["code"] == "unavailable" and CONTACT_PHONE in error["message"]

    proxy.reopen()
    statuses = [(await say(client, conversation, text="hvad koster et pas")).status for _ in range(3)]
    assert statuses[-1] == 200, statuses
    assert set(statuses) <= {200, 503}, "a dead pooled connection may cost one more 503, never a 500"


async def test_a_full_disk_under_the_sqlite_log_is_a_503_with_the_contact_centre(
    make_client: ClientFactory, settings: GatewaySettings, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("a size-limited tmpfs needs root (make test-faults reports it the same way)")
    folder = tmp_path / "small"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("could not mount a tmpfs here")
    try:
        url = f"sqlite+aiosqlite:///{folder / 'muni.db'}"
        client = await make_client(settings=dataclasses.replace(settings, database_url=url))
        conversation = await start(client)
        with open(folder / "filler", "wb") as sink, contextlib.suppress(OSError):
            while True:
                sink.write(b"\0" * 65536)
        statuses = []
        for i in range(300):  # SQLite first fills the free room in its pages
            response = await say(client, conversation, text=f"spørgsmål {i} " + "x" * 400)
            statuses.append(response.status)
            if response.status != 200:
                break
        assert statuses[-1] == 503, statuses
        error = await error_of(response)
        assert error["code"] == "unavailable" and CONTACT_PHONE in error["message"]
        (folder / "filler").unlink()
        assert (await say(client, conversation, text="igen")).status == 200, "healed once there is room"
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
