"""Retrieval quality on an evaluation file: `python -m bench.eval_retrieval FILE`.

Format: ``questions: [{municipality, topic, text, out_of_scope?}]`` (a topic of ``out_of_scope``
counts as out of scope too). For every question whose topic the index can answer (a guide topic),
a hit is a passage among the top 3 whose topic is the expected one; prints top-1 and top-3 hit
rates, the misses, and how many out-of-scope questions clear the answer threshold. Searches the
built index (`muni index`; the guides are enough) with the configured model.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.errors import KnowledgeError
from knowledge.index.retriever import Hit, Retriever

OUT_OF_SCOPE = "out_of_scope"
TOP = 3


@dataclass(frozen=True)
class Question:
    municipality: str
    topic: str | None  # None: out of scope
    text: str


@dataclass(frozen=True)
class Result:
    question: Question
    hits: tuple[Hit, ...]
    answered: bool  # the top hit clears the threshold

    def rank(self) -> int | None:
        """1-based rank of the first hit with the expected topic, within the top 3."""
        for rank, hit in enumerate(self.hits[:TOP], start=1):
            if hit.topic == self.question.topic:
                return rank
        return None


def load(path: Path) -> list[Question]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [
        Question(
            municipality=entry["municipality"],
            topic=None if entry.get("out_of_scope") or entry.get("topic") == OUT_OF_SCOPE else entry["topic"],
            text=entry["text"],
        )
        for entry in entries
    ]


def evaluate(questions: list[Question], retriever: Retriever, answerable: set[str]) -> list[Result]:
    """Search every out-of-scope question and every question about a topic the index answers."""
    results = []
    for question in questions:
        if question.topic is not None and question.topic not in answerable:
            continue
        hits = tuple(retriever.search(question.municipality, question.text, limit=TOP))
        results.append(Result(question, hits, bool(hits) and retriever.confident(hits[0])))
    return results


def report(results: list[Result], skipped: int) -> str:
    in_scope = [r for r in results if r.question.topic is not None]
    out_of_scope = [r for r in results if r.question.topic is None]
    top1 = sum(1 for r in in_scope if r.rank() == 1)
    top3 = sum(1 for r in in_scope if r.rank() is not None)
    n = len(in_scope) or 1
    lines = [
        f"in-scope questions searched: {len(in_scope)} (skipped {skipped} about topics no guide answers)",
        f"top-1 topic hit rate: {top1}/{len(in_scope)} = {top1 / n:.1%}",
        f"top-3 topic hit rate: {top3}/{len(in_scope)} = {top3 / n:.1%}",
        f"in-scope answered (top hit clears the threshold): {sum(r.answered for r in in_scope)}/{len(in_scope)}",
        f"out-of-scope clearing the threshold: {sum(r.answered for r in out_of_scope)}/{len(out_of_scope)}",
    ]
    misses = Counter(r.question.topic for r in in_scope if r.rank() is None)
    if misses:
        lines.append("top-3 misses by topic: " + ", ".join(f"{t} {c}" for t, c in misses.most_common()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    from knowledge.embeddings import default_embedder
    from knowledge.guides import GuideLibrary
    from knowledge.index.connection import snapshot_index
    from knowledge.index.guides import guide_topics
    from knowledge.index.settings import IndexSettings

    questions = load(args.file)
    library = GuideLibrary.load()
    answerable = {topic for slug in library.municipalities for topic in guide_topics(library, slug)}
    try:
        settings = IndexSettings.from_env()
        with snapshot_index(settings) as index:
            results = evaluate(questions, Retriever(index, default_embedder(), settings), answerable)
    except KnowledgeError as error:
        print(f"eval_retrieval: {error}", file=sys.stderr)
        return 1
    print(report(results, skipped=len(questions) - len(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
