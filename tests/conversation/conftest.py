"""Fixtures of the conversation core's tests."""

from tests.support.postgres import postgres_url  # noqa: F401 (the fixture, for this package's tests)
