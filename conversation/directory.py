"""What the gateway needs to know about tenants, topics and the contact centre."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class ContactCentreInfo(Protocol):
    """The shared contact centre, as the scripted fallback quotes it."""

    @property
    def phone(self) -> str: ...

    def hours_text(self, at: datetime | None = None, language: str = "da") -> str: ...

    def status_text(self, at: datetime, language: str = "da") -> str: ...


@dataclass(frozen=True)
class Embedding:
    """Where a municipality's assistant may appear on the web, and how it looks there."""

    website: str  # bare host, e.g. "aarhus.dk"
    origins: tuple[str, ...]  # pages on these origins may embed and call the assistant
    pages: tuple[str, ...] = ()  # URL patterns ('*' wildcard, or a path like '/borger/*'); empty: every page
    colour: str = "#1f4e79"


# The akutguide's local variables (knowledge/variables.yml), kept by the gateway so the crisis answer never needs Rasa.
CRISIS_VARIABLES = ("crisis_page", "crisis_hotline", "crisis_radio", "crisis_tv", "crisis_police")


@dataclass(frozen=True)
class Directory:
    """Member municipalities (slug -> name), known topic ids, and the contact centre."""

    municipalities: Mapping[str, str]
    topics: frozenset[str]
    contact_centre: ContactCentreInfo
    embeddings: Mapping[str, Embedding] = field(default_factory=dict)  # slug -> web presence
    topic_titles: Mapping[str, str] = field(default_factory=dict)  # topic id -> Danish title
    booking_enabled: frozenset[str] = frozenset()  # slugs licensed for the booking integration (tenant files)
    crisis_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # slug -> the akutguide's local values
    crisis_values_en: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # the same, written for English answers

    def crisis_values_in(self, municipality: str, language: str) -> Mapping[str, str]:
        """A municipality's akutguide values as written in an answer in `language` (English for "en", else Danish)."""
        return (self.crisis_values_en if language == "en" else self.crisis_values).get(municipality, {})


def load_directory() -> Directory:
    """Build the directory from the knowledge package (tenant files, topics, contact centre)."""
    # Imported here so the gateway's modules and tests do not depend on the knowledge package;
    # only the process entry point reads the real tenant data.
    from knowledge import ContactCentre, GuideLibrary, load_topics

    library = GuideLibrary.load()
    topics = load_topics()

    def crisis_values(language: str) -> dict[str, dict[str, str]]:
        """slug -> the akutguide's values written as a guide writes them in `language` (a value's `en:` where given)."""
        return {
            slug: {
                name: value.text(language, prose=library.variables[name].prose)
                for name in CRISIS_VARIABLES
                if (value := library.resolve(name, m)) is not None
            }
            for slug, m in library.municipalities.items()
        }

    return Directory(
        municipalities={slug: m.name for slug, m in library.municipalities.items()},
        topics=frozenset(topics),
        contact_centre=ContactCentre.load(),
        embeddings={
            slug: Embedding(
                website=m.website,
                origins=m.embed_origins or m.website_origins,
                pages=m.embed_pages,
                colour=m.embed_colour or Embedding.colour,
            )
            for slug, m in library.municipalities.items()
        },
        topic_titles={topic.id: topic.title for topic in topics.values()},
        booking_enabled=frozenset(slug for slug, m in library.municipalities.items() if m.booking_enabled),
        crisis_values=crisis_values("da"),
        crisis_values_en=crisis_values("en"),
    )
