"""The gateway's database on each backend Muni supports, as fixtures for every test (tests/conftest.py).

`database_url` is a SQLite file in the test's folder, then a throwaway PostgreSQL database
(`tests/support/postgres.py`: skipped with the reason where no server answers, failing under
CI=true); `engine` is an engine on it, upgraded to the newest schema revision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.schema import upgrade_database
from muni.db import open_engine
from tests.support.postgres import postgres_url

__all__ = ["database_url", "engine", "postgres_url"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'muni.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = open_engine(database_url)
    await upgrade_database(engine)
    try:
        yield engine
    finally:
        await engine.dispose()
