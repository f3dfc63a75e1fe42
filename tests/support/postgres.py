"""A throwaway PostgreSQL database per test, on the server these machines and CI run.

The server is the one at MUNI_TEST_POSTGRES_URL, by default
``postgresql://postgres@127.0.0.1:5432/test`` (trust authentication): the URL names a
user allowed to create databases and a database to connect to while creating them.
Where nothing answers there, the tests that need it are skipped with the error; under
CI=true they fail instead (tests/support/services.py). Point the variable at a closed
port to see the skip: ``MUNI_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:1/test``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from tests.support.services import service_missing

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 5.0


def admin_url() -> URL:
    """The server, user and maintenance database the tests create their databases through."""
    return make_url(os.environ.get("MUNI_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


@contextlib.asynccontextmanager
async def throwaway_database() -> AsyncIterator[str]:
    """The SQLAlchemy URL of a new, empty database, dropped on exit; skips (fails in CI) without a server."""
    admin = admin_url()
    try:
        connection = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            password=admin.password,
            database=admin.database,
            timeout=CONNECT_TIMEOUT_S,
        )
    except (OSError, TimeoutError) as error:  # nothing answers; a server that refuses us is an error, not a skip
        service_missing(
            f"no PostgreSQL at {admin.host or 'localhost'}:{admin.port or 5432}: {type(error).__name__}: {error} "
            "(start one there with trust auth for user postgres, or set MUNI_TEST_POSTGRES_URL)"
        )
    name = f"muni_test_{uuid.uuid4().hex[:12]}"
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A throwaway database on the test PostgreSQL server (MUNI_TEST_POSTGRES_URL), dropped afterwards."""
    async with throwaway_database() as url:
        yield url
