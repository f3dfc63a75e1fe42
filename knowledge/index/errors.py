"""Exceptions of the vector index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from knowledge.errors import KnowledgeError

# What qdrant-client raises when a server is down, times out or refuses a request.
SERVER_ERRORS = (ResponseHandlingException, UnexpectedResponse, OSError)


class IndexUnavailable(KnowledgeError):
    """The index cannot be searched now: no generation built yet, a store that will not open, a server down."""


class IndexSettingsError(KnowledgeError, ValueError):
    """An index setting from the environment is missing or malformed (the message names the variable)."""


@contextmanager
def index_errors(what: str) -> Iterator[None]:
    """A server that is down, slow or refusing becomes IndexUnavailable, naming what failed."""
    try:
        yield
    except SERVER_ERRORS as error:
        raise IndexUnavailable(f"{what} failed: {type(error).__name__}: {error}") from error
