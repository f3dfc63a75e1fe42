"""Municipal guides, local variables and the shared contact centre (plain Python, no Rasa)."""

from knowledge.contact_centre import ContactCentre, OpeningStatus
from knowledge.errors import KnowledgeDataError, KnowledgeError, UnknownMunicipality, UnknownTopic
from knowledge.guides import GuideLibrary
from knowledge.rendering import Answer, Link
from knowledge.templates import Guide
from knowledge.tenants import Municipality
from knowledge.topics import Topic, load_topics
from knowledge.values import Value, Variable

__all__ = [
    "Answer",
    "ContactCentre",
    "Guide",
    "GuideLibrary",
    "KnowledgeDataError",
    "KnowledgeError",
    "Link",
    "Municipality",
    "OpeningStatus",
    "Topic",
    "UnknownMunicipality",
    "UnknownTopic",
    "Value",
    "Variable",
    "load_topics",
]
