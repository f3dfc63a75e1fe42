"""The guide library: shared guides, municipalities' own guides, and their variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from knowledge._yaml import read_mapping
from knowledge.contact_centre import ContactCentre
from knowledge.errors import KnowledgeDataError, UnknownMunicipality, UnknownTopic
from knowledge.published import PublishedValues
from knowledge.rendering import Answer, Lookup, render
from knowledge.safety import SAFETY_PATH, SafetyLines
from knowledge.templates import Guide, parse_guide
from knowledge.tenants import Municipality, load_municipalities
from knowledge.topics import Topic, load_topics
from knowledge.values import Value, Variable, load_national, load_variables

PACKAGE_DIR = Path(__file__).resolve().parent
# Topics answered from a guide. appointment_booking (a flow) keeps a guide: it is the answer
# where a municipality has no booking integration.
GUIDE_TOPIC_KINDS = frozenset({"guide"})
INTERIM_GUIDE_TOPICS = frozenset({"appointment_booking"})
# The emergency topic (kind safety) keeps a guide too: questions about the emergency numbers themselves
# ("hvad er nummeret til lægevagten?") and the akutguide for crises. An emergency itself never reaches it.
SAFETY_GUIDE_TOPICS = frozenset({"emergency"})


@dataclass(frozen=True)
class GuideLibrary:
    topics: Mapping[str, Topic]
    variables: Mapping[str, Variable]
    national: Mapping[str, Value]
    guides: Mapping[str, Guide]
    municipalities: Mapping[str, Municipality]
    contact_centre: ContactCentre
    # The regions' helplines: the builtin variable doctor_line (knowledge/safety.yml).
    safety: SafetyLines = field(default_factory=SafetyLines.load, compare=False)
    # What municipalities published in the console; replaced whole by a Follower while serving.
    published: PublishedValues = field(default_factory=PublishedValues, compare=False)

    @classmethod
    def load(cls, root: Path | None = None) -> GuideLibrary:
        """Read every data file under root (by default the knowledge package directory)."""
        root = PACKAGE_DIR if root is None else root
        topics = load_topics(root / "topics.yml")
        variables = load_variables(root / "variables.yml")
        guides: dict[str, Guide] = {}
        for path in sorted((root / "guides").glob("*.yml")):
            if path.stem not in topics:
                raise KnowledgeDataError(f"{path}: no topic {path.stem!r} in topics.yml")
            guides[path.stem] = parse_guide(read_mapping(path), path.stem, variables, str(path))
        expected = {
            t.id
            for t in topics.values()
            if t.kind in GUIDE_TOPIC_KINDS or t.id in INTERIM_GUIDE_TOPICS | SAFETY_GUIDE_TOPICS
        }
        if missing := sorted(expected - set(guides)):
            raise KnowledgeDataError(f"{root / 'guides'}: no guide for {missing}")
        return cls(
            topics=MappingProxyType(topics),
            variables=MappingProxyType(variables),
            national=MappingProxyType(load_national(root / "national.yml", variables)),
            guides=MappingProxyType(guides),
            municipalities=MappingProxyType(
                load_municipalities(root / "tenants", variables, frozenset(topics))
            ),
            contact_centre=ContactCentre.load(root / "contact_centre.yml"),
            safety=SafetyLines.load(root / "safety.yml" if (root / "safety.yml").exists() else SAFETY_PATH),
        )

    def municipality(self, slug: str) -> Municipality:
        try:
            return self.municipalities[slug]
        except KeyError:
            raise UnknownMunicipality(slug) from None

    def guide(self, topic_id: str, slug: str, *, guides: Mapping[str, Guide] | None = None) -> Guide:
        """The municipality's own guide for the topic if it has one, else the shared guide.

        Its own: written in the console (`guides` stands in for those, for a preview), else in its tenant file.
        """
        municipality = self.municipality(slug)
        own = self.published.guides_of(slug) if guides is None else guides
        guide = own.get(topic_id) or municipality.guides.get(topic_id) or self.guides.get(topic_id)
        if guide is None:
            raise UnknownTopic(topic_id)
        return guide

    def has_guide(self, topic_id: str, slug: str) -> bool:
        """Whether answer() can answer this topic for this municipality."""
        municipality = self.municipality(slug)
        own = self.published.guides_of(slug)
        return topic_id in own or topic_id in municipality.guides or topic_id in self.guides

    def answer(
        self,
        topic_id: str,
        slug: str,
        language: str = "da",
        *,
        values: Mapping[str, Value] | None = None,
        guides: Mapping[str, Guide] | None = None,
    ) -> Answer:
        """The guide for the topic, rendered with the municipality's values, in English for "en".

        `values` and `guides` stand in for what the municipality published (the console's
        preview of a change); None: what is published now.
        """
        guide = self.guide(topic_id, slug, guides=guides)
        municipality = self.municipality(slug)
        return render(guide, municipality, self._lookup(municipality, language, values), self.variables, language)

    def resolve(self, name: str, municipality: Municipality) -> Value | None:
        """A variable's value: built-in, else the municipality's, else the national default."""
        return self._lookup(municipality)(name)

    def website_url(self, slug: str) -> str:
        return self.municipality(slug).website_url

    def contact_line(self, slug: str, language: str = "da") -> str:
        """One line on how to reach the municipality's citizen service (Danish, or English for "en")."""
        municipality = self.municipality(slug)
        phone = self.resolve("citizen_service_phone", municipality)
        hours = self.resolve("citizen_service_hours", municipality)
        english = language == "en"
        if phone is None:
            if english:
                return f"See the contact details for {municipality.name} on {municipality.website_url}"
            return f"Se kontaktoplysninger for {municipality.name} på {municipality.website_url}"
        if english:
            line = f"Borgerservice (citizen service) in {municipality.name}: phone {phone.text()}"
        else:
            line = f"Borgerservice i {municipality.name}: tlf. {phone.text()}"
        if hours is not None and english and hours.english is None:
            line += f" (opening hours in Danish: {hours.text()})"
        elif hours is not None:
            line += f" ({hours.text(language, prose=self.variables['citizen_service_hours'].prose)})"
        line += f" – {'see also' if english else 'se også'} {municipality.website_url}"
        if phone.demo or (hours is not None and hours.demo):
            line += " (demo data)" if english else " (demo-data)"
        return line

    def _lookup(
        self, municipality: Municipality, language: str = "da", values: Mapping[str, Value] | None = None
    ) -> Lookup:
        fixed = self._builtins(municipality, language)
        published = self.published.of(municipality.slug) if values is None else values

        def lookup(name: str) -> Value | None:
            return (
                fixed.get(name)
                or published.get(name)
                or municipality.variables.get(name)
                or self.national.get(name)
            )

        return lookup

    def _builtins(self, municipality: Municipality, language: str = "da") -> dict[str, Value]:
        centre = self.contact_centre
        return {
            "municipality_name": Value(municipality.name),
            "website": Value(municipality.website_url),
            "slug": Value(municipality.slug),
            "code": Value(str(municipality.code)),
            "contact_centre_phone": Value(centre.phone, centre.phone_demo),
            "contact_centre_hours": Value(" ".join(centre.hours_lines(language=language))),
            "doctor_line": Value(self.safety.doctor_line(municipality.slug, language)),
        }
