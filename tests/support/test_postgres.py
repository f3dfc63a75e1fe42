"""The PostgreSQL fixture reaches the server, cleans up after itself, and never skips silently in CI."""

from __future__ import annotations

import re

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support.ports import free_port
from tests.support.postgres import admin_url, postgres_url, throwaway_database  # noqa: F401 (the fixture)


async def _databases() -> set[str]:
    admin = admin_url()
    connection = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, password=admin.password, database=admin.database
    )
    try:
        return {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_the_fixture_gives_a_fresh_database_on_the_server_and_drops_it(postgres_url: str) -> None:  # noqa: F811
    url = make_url(postgres_url)
    assert url.drivername == "postgresql+asyncpg"
    assert re.fullmatch(r"muni_test_[0-9a-f]{12}", url.database or "")
    connection = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        assert await connection.fetchval("SELECT current_database()") == url.database
        assert await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await connection.close()

    async with throwaway_database() as other:
        name = make_url(other).database
        assert name != url.database and name in await _databases()
    assert name not in await _databases()


@pytest.mark.parametrize(
    ("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)], ids=["here", "in CI"]
)
async def test_no_server_skips_here_and_fails_in_ci_saying_what_was_tried(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    port = free_port()
    monkeypatch.setenv("MUNI_TEST_POSTGRES_URL", f"postgresql://postgres@127.0.0.1:{port}/test")
    monkeypatch.setenv("CI", ci)

    # Both outcomes caught and compared: a skip escaping this test would only skip it, never fail it.
    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception)) as stopped:
        async with throwaway_database():
            raise AssertionError("a database without a server")

    assert stopped.type is outcome
    assert str(stopped.value).startswith(f"no PostgreSQL at 127.0.0.1:{port}: ConnectionRefusedError: ")
    assert "set MUNI_TEST_POSTGRES_URL" in str(stopped.value)
