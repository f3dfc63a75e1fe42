"""Member municipalities (tenants): identity, local variables and own guides."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from knowledge._yaml import read_mapping, require
from knowledge.errors import KnowledgeDataError
from knowledge.templates import Guide, parse_guide
from knowledge.values import Value, Variable, parse_values

__all__ = ["Municipality", "Value", "load_municipalities", "load_municipality"]

SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TENANT_SCOPES = frozenset({"local", "national"})


@dataclass(frozen=True)
class Municipality:
    slug: str
    name: str
    code: int
    website: str
    network: str
    variables: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))
    guides: Mapping[str, Guide] = field(default_factory=lambda: MappingProxyType({}))
    embed_pages: tuple[str, ...] = ()
    # Booking integration is licensed per municipality; without it citizens get its booking page.
    booking_enabled: bool = False
    embed_origins: tuple[str, ...] = ()  # empty: the website's own origins (website_origins)
    embed_colour: str | None = None

    @property
    def website_origins(self) -> tuple[str, ...]:
        """Where the municipality's own site is served: https://<website> and https://www.<website>."""
        return (f"https://{self.website}", f"https://www.{self.website}")

    @property
    def website_url(self) -> str:
        return f"https://{self.website}"

    @property
    def possessive_name(self) -> str:
        """'Aarhus Kommune' -> 'Aarhus Kommunes' (Danish genitive)."""
        return self.name if self.name.endswith("s") else f"{self.name}s"


def load_municipality(
    path: Path,
    variables: Mapping[str, Variable],
    topic_ids: frozenset[str],
) -> Municipality:
    """Read one tenant file (tenants/<slug>.yml)."""
    where = str(path)
    data = read_mapping(path)
    unknown = set(data) - {"slug", "name", "code", "website", "network", "variables", "guides", "embed", "booking"}
    if unknown:
        raise KnowledgeDataError(f"{where}: unknown keys {sorted(unknown)}")
    slug = require(data, "slug", str, where)
    if slug != path.stem or not SLUG.match(slug):
        raise KnowledgeDataError(f"{where}: slug {slug!r} must match the file name and be lower-case")
    website = require(data, "website", str, where)
    if "/" in website or website.startswith("http"):
        raise KnowledgeDataError(f"{where}: website is a bare host name, like 'aarhus.dk'")
    guides_raw = data.get("guides") or {}
    if not isinstance(guides_raw, dict):
        raise KnowledgeDataError(f"{where}: 'guides' must map topic ids to guides")
    guides = {}
    for topic, raw in guides_raw.items():
        if topic not in topic_ids:
            raise KnowledgeDataError(f"{where}: guide for unknown topic {topic!r}")
        guides[topic] = parse_guide(raw, topic, variables, f"{where}: guides.{topic}")
    return Municipality(
        slug=slug,
        name=require(data, "name", str, where),
        code=require(data, "code", int, where),
        website=website,
        network=require(data, "network", str, where),
        variables=MappingProxyType(
            parse_values(data.get("variables"), variables, _TENANT_SCOPES, f"{where}: variables")
        ),
        guides=MappingProxyType(guides),
        **_embed(data.get("embed"), where),
        booking_enabled=_booking_enabled(data.get("booking"), where),
    )


def _booking_enabled(raw: object, where: str) -> bool:
    """Whether the municipality has the booking integration (`booking: {enabled: true}`)."""
    if raw is None:
        return False
    if not isinstance(raw, dict) or set(raw) != {"enabled"} or not isinstance(raw["enabled"], bool):
        raise KnowledgeDataError(f"{where}: booking is {{enabled: true|false}}")
    return raw["enabled"]


def _embed(raw: object, where: str) -> dict[str, Any]:
    """The embed script's settings (optional): pages the municipality chose, origins, colour."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - {"pages", "origins", "colour"}:
        raise KnowledgeDataError(f"{where}: embed is {{pages: [pattern, ...], origins: [origin, ...], colour: '#rrggbb'}}")
    pages, origins, colour = raw.get("pages", []), raw.get("origins", []), raw.get("colour")
    for name, values in (("pages", pages), ("origins", origins)):
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise KnowledgeDataError(f"{where}: embed.{name} is a list of strings")
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise KnowledgeDataError(f"{where}: embed.origins has {origin!r}; an origin is like https://www.aarhus.dk")
    if colour is not None and (not isinstance(colour, str) or not _COLOUR.match(colour)):
        raise KnowledgeDataError(f"{where}: embed.colour is a hex colour like '#00558c'")
    if colour is not None and _contrast_with_white(colour) < 4.5:
        raise KnowledgeDataError(
            f"{where}: embed.colour {colour} has too little contrast with white text "
            f"({_contrast_with_white(colour):.1f}:1, WCAG AA needs 4.5:1); choose a darker shade"
        )
    return {"embed_pages": tuple(pages), "embed_origins": tuple(origins), "embed_colour": colour}


def _contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of white text on the colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def load_municipalities(
    directory: Path,
    variables: Mapping[str, Variable],
    topic_ids: frozenset[str],
) -> dict[str, Municipality]:
    """Read every tenants/*.yml, keyed by slug."""
    municipalities = {
        path.stem: load_municipality(path, variables, topic_ids) for path in sorted(directory.glob("*.yml"))
    }
    if not municipalities:
        raise KnowledgeDataError(f"{directory}: no tenant files")
    codes = [m.code for m in municipalities.values()]
    if len(set(codes)) != len(codes):
        raise KnowledgeDataError(f"{directory}: two tenants share a municipality code")
    return municipalities
