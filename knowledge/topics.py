"""The topics the assistant covers (the vendored copy of shared/topics.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge._yaml import read_mapping, require
from knowledge.errors import KnowledgeDataError

PACKAGE_DIR = Path(__file__).resolve().parent
KINDS = frozenset({"guide", "flow", "safety", "conversation"})


@dataclass(frozen=True)
class Topic:
    id: str
    kind: str
    title: str
    about: str = ""


def load_topics(path: Path | None = None) -> dict[str, Topic]:
    """Read topics.yml; ids keep the file's order."""
    path = PACKAGE_DIR / "topics.yml" if path is None else path
    entries = require(read_mapping(path), "topics", list, str(path))
    topics: dict[str, Topic] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: topics[{index}]"
        if not isinstance(entry, dict):
            raise KnowledgeDataError(f"{where}: expected a mapping")
        topic = Topic(
            id=require(entry, "id", str, where),
            kind=require(entry, "kind", str, where),
            title=require(entry, "title", str, where),
            about=entry.get("about") or "",
        )
        if topic.kind not in KINDS:
            raise KnowledgeDataError(f"{where}: unknown kind {topic.kind!r}")
        if topic.id in topics:
            raise KnowledgeDataError(f"{where}: duplicate id {topic.id!r}")
        topics[topic.id] = topic
    return topics
