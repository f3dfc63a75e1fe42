"""What the gateway needs to know about tenants, topics and the contact centre."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ContactCentreInfo(Protocol):
    """The shared contact centre, as the scripted fallback quotes it."""

    @property
    def phone(self) -> str: ...

    def hours_text(self) -> str: ...

    def status_text(self, at: datetime) -> str: ...


@dataclass(frozen=True)
class Directory:
    """Member municipalities (slug -> name), known topic ids, and the contact centre."""

    municipalities: Mapping[str, str]
    topics: frozenset[str]
    contact_centre: ContactCentreInfo


def load_directory() -> Directory:
    """Build the directory from the knowledge package (tenant files, topics, contact centre)."""
    # Imported here so the gateway's modules and tests do not depend on the knowledge package;
    # only the process entry point reads the real tenant data.
    from knowledge import ContactCentre, GuideLibrary, load_topics

    library = GuideLibrary.load()
    return Directory(
        municipalities={slug: m.name for slug, m in library.municipalities.items()},
        topics=frozenset(load_topics()),
        contact_centre=ContactCentre.load(),
    )
