"""Exceptions raised by the knowledge package."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class for every error the knowledge package raises."""


class KnowledgeDataError(KnowledgeError, ValueError):
    """A knowledge data file is missing, malformed or inconsistent."""


class UnknownMunicipality(KnowledgeError, KeyError):
    """No tenant with this slug."""


class UnknownTopic(KnowledgeError, KeyError):
    """No guide answers this topic (for the given municipality)."""
