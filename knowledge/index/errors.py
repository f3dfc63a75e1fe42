"""Exceptions of the vector index."""

from __future__ import annotations

from knowledge.errors import KnowledgeError
from muni.env import SettingsError


class IndexUnavailable(KnowledgeError):
    """The index cannot be searched now: no generation built yet, a store that will not open, a server down."""


class IndexSettingsError(KnowledgeError, SettingsError):
    """An index setting from the environment is missing or malformed (the message names the variable)."""
