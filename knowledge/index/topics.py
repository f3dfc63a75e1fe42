"""The guide topic a crawled chunk is about, by dense similarity to each guide topic's description."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from knowledge.topics import Topic

if TYPE_CHECKING:
    from knowledge.embeddings import Embedder


def topic_text(topic: Topic) -> str:
    return f"{topic.title}: {topic.about}" if topic.about else topic.title


class TopicAssigner:
    """Nearest guide topic of a passage vector, or None when no topic is near enough."""

    def __init__(self, topic_ids: list[str], vectors: np.ndarray, threshold: float):
        self.topic_ids = topic_ids
        self.vectors = vectors
        self.threshold = threshold

    @classmethod
    def build(
        cls, topics: Mapping[str, Topic], answerable: set[str], embedder: Embedder, threshold: float
    ) -> TopicAssigner:
        """One vector per topic a guide answers, from its Danish title and description."""
        ids = [topic_id for topic_id in topics if topic_id in answerable]
        vectors = np.asarray(embedder.encode_passages([topic_text(topics[t]) for t in ids]), dtype=np.float32)
        return cls(ids, vectors, threshold)

    def topic(self, vector: np.ndarray) -> str | None:
        if not self.topic_ids:
            return None
        scores = self.vectors @ vector
        best = int(np.argmax(scores))
        return self.topic_ids[best] if float(scores[best]) >= self.threshold else None
