"""Calibrate the retrieval threshold: `python -m knowledge.index.calibrate [calibration.yml]`.

Indexes the guides of every municipality named in the file (in memory, with the configured
embedding model), searches each question, and prints, for the top hit,
how many in-scope questions are answered with the right topic and how many out-of-scope ones
would wrongly be answered, over a grid of the two thresholds (with a lemma in common / dense only).
The chosen pair maximises right answers minus twice the wrong ones.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.index.retriever import Hit, Retriever, confident

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.yml"


@dataclass(frozen=True)
class Question:
    municipality: str
    text: str
    topic: str | None  # None: out of scope


@dataclass(frozen=True)
class Outcome:
    question: Question
    top: Hit | None

    @property
    def right_topic(self) -> bool:
        return self.top is not None and self.top.topic == self.question.topic


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(q["municipality"], q["text"], q["topic"]) for q in data["in_scope"]] + [
        Question(q["municipality"], q["text"], None) for q in data["out_of_scope"]
    ]


@dataclass(frozen=True)
class Row:
    threshold: float
    threshold_dense_only: float
    right: int  # in-scope answered with the right topic
    wrong: int  # in-scope answered with another topic
    out_of_scope: int  # out-of-scope answered (should have been the fallback)
    in_scope: int

    @property
    def score(self) -> int:
        """A wrong answer costs more than a fallback, which still offers a human."""
        return self.right - 2 * (self.wrong + self.out_of_scope)

    @property
    def precision(self) -> float:
        answered = self.right + self.wrong + self.out_of_scope
        return self.right / answered if answered else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.in_scope if self.in_scope else 0.0


def table(outcomes: list[Outcome], grid: list[tuple[float, float]]) -> list[Row]:
    rows = []
    for threshold, dense_only in grid:
        answered = [o for o in outcomes if o.top is not None and confident(o.top, threshold, dense_only)]
        right = sum(1 for o in answered if o.right_topic)
        oos = sum(1 for o in answered if o.question.topic is None)
        in_scope = sum(1 for o in outcomes if o.question.topic is not None)
        rows.append(Row(threshold, dense_only, right, len(answered) - right - oos, oos, in_scope))
    return rows


def grid() -> list[tuple[float, float]]:
    steps = [round(0.80 + i * 0.005, 3) for i in range(21)]
    return [(t, d) for t in steps for d in steps if d >= t]


def choose(rows: list[Row]) -> Row:
    """The best score; among equals the most conservative (highest) thresholds."""
    return max(rows, key=lambda r: (r.score, r.threshold_dense_only, r.threshold))


def run(questions: list[Question], retriever: Retriever) -> list[Outcome]:
    outcomes = []
    for question in questions:
        hits = retriever.search(question.municipality, question.text, limit=1)
        outcomes.append(Outcome(question, hits[0] if hits else None))
    return outcomes


def build_retriever(municipalities: set[str]) -> Retriever:
    """The guides of these municipalities in an in-memory index, with the configured model."""
    from qdrant_client import QdrantClient

    from knowledge.embeddings import default_embedder
    from knowledge.guides import GuideLibrary
    from knowledge.index.guides import rendered_guides
    from knowledge.index.indexer import Indexer
    from knowledge.index.settings import IndexSettings
    from knowledge.index.store import KnowledgeIndex

    settings = IndexSettings.from_env()
    index = KnowledgeIndex(QdrantClient(":memory:"), settings.collection)
    embedder = default_embedder()
    indexer = Indexer(index, embedder)
    library = GuideLibrary.load()
    for slug in sorted(municipalities):
        indexer.index_guides(slug, rendered_guides(library, slug))
    return Retriever(index, embedder, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args(argv)
    questions = load_questions(args.file)
    outcomes = run(questions, build_retriever({q.municipality for q in questions}))
    for o in outcomes:
        top = o.top
        mark = "ok " if o.right_topic else ("oos" if o.question.topic is None else "BAD")
        dense, lexical, topic = (top.dense, top.lexical, top.topic or "-") if top else (0.0, 0.0, "-")
        print(f"{mark} dense {dense:.3f} lexical {lexical:5.2f} {topic:24} {o.question.text}")
    rows = table(outcomes, grid())
    print("\nthreshold  dense-only  right  wrong  out-of-scope  precision  recall")
    for row in rows:
        if row.threshold_dense_only in (row.threshold, 0.85, 0.86, 0.87, 0.88, 0.9):
            print(
                f"{row.threshold:9.3f}  {row.threshold_dense_only:10.3f}  {row.right:5}  {row.wrong:5}"
                f"  {row.out_of_scope:12}  {row.precision:9.3f}  {row.recall:6.3f}"
            )
    best = choose(rows)
    print(
        f"\nchosen: threshold {best.threshold}, dense-only {best.threshold_dense_only}: right {best.right}/"
        f"{best.in_scope}, wrong topic {best.wrong}, out-of-scope answered {best.out_of_scope}"
        f" (precision {best.precision:.3f}, recall {best.recall:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
