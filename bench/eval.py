"""Score the assistant on an evaluation file through the chat API (`make eval`).

Format (shared/eval/*.yml): ``questions: [{municipality, topic, text}]``; one
fresh conversation per question. A question whose topic is ``out_of_scope``
passes only when the answer's source is ``fallback`` or ``handoff``; any
other question passes when the answer names its topic. A file may say
``language: en`` (bench/data/english_eval.yml): its conversations are then
started in that language. Several files are scored on one stack, each reported
on its own.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml

from bench.chatclient import ChatClient, Turn, gateway, percentile

OUT_OF_SCOPE = "out_of_scope"
NOT_A_TOPIC_ANSWER = ("fallback", "handoff")


@dataclass(frozen=True)
class Question:
    municipality: str
    topic: str
    text: str
    language: str | None = None  # None: the API's default (Danish)


@dataclass(frozen=True)
class Scored:
    question: Question
    turn: Turn

    @property
    def passed(self) -> bool:
        if self.turn.status != 200:
            return False
        if self.question.topic == OUT_OF_SCOPE:
            return self.turn.source in NOT_A_TOPIC_ANSWER
        return self.turn.topic == self.question.topic

    @property
    def out_of_scope_answered(self) -> bool:
        """An out-of-scope question that got an answer claiming a topic."""
        return self.question.topic == OUT_OF_SCOPE and self.turn.topic is not None


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    language = data.get("language")
    return [Question(q["municipality"], q["topic"], q["text"], language) for q in data["questions"]]


async def score(base_url: str, questions: list[Question], concurrency: int = 4) -> list[Scored]:
    limit = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = ChatClient(session, base_url)

        async def one(question: Question) -> Scored:
            async with limit:
                conversation = await client.start(question.municipality, language=question.language)
                return Scored(question, await client.say(conversation, question.text))

        return list(await asyncio.gather(*(one(q) for q in questions)))


def report(results: list[Scored]) -> str:
    by_topic: dict[str, list[Scored]] = defaultdict(list)
    for result in results:
        by_topic[result.question.topic].append(result)
    lines = [f"{'topic':<26}{'right':>7}{'of':>5}{'accuracy':>10}"]
    for topic, scored in sorted(by_topic.items()):
        right = sum(s.passed for s in scored)
        lines.append(f"{topic:<26}{right:>7}{len(scored):>5}{right / len(scored):>10.0%}")
    wrong = [r for r in results if not r.passed]
    if wrong:
        lines.append("\nmisses:")
        lines += [
            f"  [{r.question.topic} → {r.turn.topic} ({r.turn.source})] {r.question.text}" for r in wrong
        ]
    right = sum(r.passed for r in results)
    latencies = [r.turn.seconds * 1000 for r in results]
    lines += [
        "",
        f"top-1 topic accuracy: {right}/{len(results)} = {right / len(results):.1%}",
        f"out-of-scope questions answered with a topic: {sum(r.out_of_scope_answered for r in results)}"
        f" of {len(by_topic.get(OUT_OF_SCOPE, []))}",
        "latency per answer (ms): "
        + ", ".join(f"p{int(p * 100)} {percentile(latencies, p):.0f}" for p in (0.5, 0.9, 0.95, 0.99)),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "files", type=Path, nargs="+", help="evaluation files (questions: [{municipality, topic, text}])"
    )
    parser.add_argument("--url", help="a running gateway; without it a whole stack is started for the run")
    parser.add_argument("--model", type=Path, help="the Rasa model the started stack uses (default models/muni.tar.gz)")
    args = parser.parse_args(argv)
    files = [(path, load_questions(path)) for path in args.files]
    with gateway(args.url, args.model) as base_url:
        for path, questions in files:
            results = asyncio.run(score(base_url, questions))
            language = questions[0].language if questions and questions[0].language else "da"
            print(f"\n== {path} (language: {language}, {len(questions)} questions)\n{report(results)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
