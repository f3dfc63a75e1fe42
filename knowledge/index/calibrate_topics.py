"""Calibrate the topic a crawled passage gets: `python -m knowledge.index.calibrate_topics [file.yml]`.

Embeds each passage of knowledge/index/topic_calibration.yml as the indexer embeds a web chunk
(under its page title), gives it the nearest guide topic as `muni index` does, and prints, over a
range of topic thresholds, how many passages get their right topic, a wrong one, or a topic where
none applies. The chosen threshold maximises right minus twice the others: a wrong topic skews the
municipality's statistics, while no topic only leaves the answer unlabelled.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

from knowledge.index.topics import TopicAssigner

CALIBRATION_FILE = Path(__file__).resolve().parent / "topic_calibration.yml"


@dataclass(frozen=True)
class Passage:
    title: str
    text: str
    topic: str | None  # None: no guide topic applies


@dataclass(frozen=True)
class Row:
    threshold: float
    right: int  # the passage's topic
    wrong: int  # another topic
    spurious: int  # a topic on a passage about none
    labelled: int  # passages that have a topic

    @property
    def score(self) -> int:
        return self.right - 2 * (self.wrong + self.spurious)


def load_passages(path: Path) -> list[Passage]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Passage(p["title"], p["text"], p["topic"]) for p in data["passages"]]


def nearest(assigner: TopicAssigner, vectors: np.ndarray) -> list[tuple[str, float]]:
    """Each vector's nearest topic and its cosine, whatever the threshold."""
    scores = vectors @ assigner.vectors.T
    best = scores.argmax(axis=1)
    return [(assigner.topic_ids[i], float(scores[row, i])) for row, i in enumerate(best)]


def table(passages: list[Passage], found: list[tuple[str, float]], thresholds: list[float]) -> list[Row]:
    rows = []
    for threshold in thresholds:
        right = wrong = spurious = 0
        for passage, (topic, score) in zip(passages, found, strict=True):
            if score < threshold:
                continue
            if passage.topic is None:
                spurious += 1
            elif topic == passage.topic:
                right += 1
            else:
                wrong += 1
        rows.append(Row(threshold, right, wrong, spurious, sum(p.topic is not None for p in passages)))
    return rows


def choose(rows: list[Row]) -> Row:
    """The best score; among equals the most conservative (highest) threshold."""
    return max(rows, key=lambda r: (r.score, r.threshold))


def embed(passages: list[Passage]) -> tuple[TopicAssigner, np.ndarray]:
    from knowledge.embeddings import default_embedder
    from knowledge.guides import GuideLibrary
    from knowledge.index.guides import guide_topics
    from knowledge.index.indexer import embedding_text
    from knowledge.index.store import IndexedChunk

    library = GuideLibrary.load()
    embedder = default_embedder()
    answerable = {topic for slug in library.municipalities for topic in guide_topics(library, slug)}
    assigner = TopicAssigner.build(library.topics, answerable, embedder, threshold=0.0)
    texts = [
        embedding_text(IndexedChunk(
            municipality="kalibrering", kind="web", topic=None, url="https://example.dk/", title=p.title,
            heading_path=(), text=p.text, position=0, content_hash="", page_hash="",
            crawled_at=datetime.now(UTC).isoformat(),
        ))
        for p in passages
    ]
    return assigner, np.asarray(embedder.encode_passages(texts), dtype=np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args(argv)
    passages = load_passages(args.file)
    assigner, vectors = embed(passages)
    found = nearest(assigner, vectors)
    for passage, (topic, score) in zip(passages, found, strict=True):
        mark = "ok " if topic == passage.topic else ("-  " if passage.topic is None else "BAD")
        print(f"{mark} {score:.3f} {topic:24} want {passage.topic or '-':24} {passage.title}")
    rows = table(passages, found, [round(0.78 + i * 0.005, 3) for i in range(25)])
    print("\nthreshold  right  wrong  topic-where-none  score")
    for row in rows:
        print(f"{row.threshold:9.3f}  {row.right:5}  {row.wrong:5}  {row.spurious:16}  {row.score:5}")
    best = choose(rows)
    print(
        f"\nchosen: topic threshold {best.threshold}: right {best.right}/{best.labelled}, wrong {best.wrong},"
        f" a topic on {best.spurious} of {len(passages) - best.labelled} passages about none"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
