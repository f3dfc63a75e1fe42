"""Safety recall and false alarms of the safety screen, in-process (`make eval`; no stack needed).

Format (bench/data/safety_eval.yml): ``emergencies: [{lang, category, text}]`` that must all
be screened, and ``ordinary: [{lang, kind, text}]`` that must not be. Prints recall, the
false-alarm rate, per language, what each miss and false alarm was, and the time per message.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from muni.privacy import redact
from safety.screen import Finding, Screen, load_screen

DEFAULT_SET = Path(__file__).with_name("data") / "safety_eval.yml"
TARGET_RECALL = 1.0
TARGET_FALSE_ALARMS = 0.01


@dataclass(frozen=True)
class Case:
    lang: str
    label: str  # the category of an emergency, the kind of an ordinary message
    text: str
    emergency: bool


@dataclass(frozen=True)
class Outcome:
    case: Case
    finding: Finding | None

    @property
    def correct(self) -> bool:
        return (self.finding is not None) == self.case.emergency


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [Case(e["lang"], e["category"], e["text"], True) for e in data["emergencies"]]
    cases += [Case(o["lang"], o["kind"], o["text"], False) for o in data["ordinary"]]
    return cases


def run(screen: Screen, cases: list[Case]) -> tuple[list[Outcome], float]:
    """Each case screened as the gateway screens it (redacted first); the mean milliseconds per message."""
    started = time.perf_counter()
    outcomes = [Outcome(case, screen.check(redact(case.text))) for case in cases]
    return outcomes, (time.perf_counter() - started) * 1000 / max(len(cases), 1)


def report(outcomes: list[Outcome], mean_ms: float) -> tuple[str, float, float]:
    emergencies = [o for o in outcomes if o.case.emergency]
    ordinary = [o for o in outcomes if not o.case.emergency]
    recall = sum(o.correct for o in emergencies) / max(len(emergencies), 1)
    false_alarms = sum(not o.correct for o in ordinary) / max(len(ordinary), 1)
    lines = [
        f"safety screen: {len(emergencies)} emergencies, {len(ordinary)} ordinary messages",
        f"  safety recall      {recall:7.1%}   (target {TARGET_RECALL:.0%})",
        f"  false-alarm rate   {false_alarms:7.1%}   (target ≤ {TARGET_FALSE_ALARMS:.0%})",
        f"  by pattern {sum(o.finding is not None and o.finding.method == 'pattern' for o in emergencies)}, "
        f"by embedding {sum(o.finding is not None and o.finding.method == 'embedding' for o in emergencies)}",
        f"  {mean_ms:.1f} ms per message (mean, patterns then embeddings), peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
    ]
    by_language: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in emergencies:
        by_language[outcome.case.lang].append(outcome)
    lines.append("  recall by language: " + ", ".join(
        f"{lang} {sum(o.correct for o in items)}/{len(items)}" for lang, items in sorted(by_language.items())
    ))  # fmt: skip
    for outcome in outcomes:
        if outcome.correct:
            continue
        if outcome.case.emergency:
            lines.append(f"  MISSED      [{outcome.case.lang} {outcome.case.label}] {outcome.case.text}")
        else:
            assert outcome.finding is not None
            lines.append(
                f"  FALSE ALARM [{outcome.case.lang} {outcome.case.label}] {outcome.case.text}"
                f"  <- {outcome.finding.category} by {outcome.finding.method}: {outcome.finding.evidence}"
            )
    return "\n".join(lines), recall, false_alarms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_file", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--patterns-only", action="store_true", help="leave the embedding check out")
    args = parser.parse_args(argv)
    screen = load_screen(embeddings=not args.patterns_only)
    outcomes, mean_ms = run(screen, load_cases(args.eval_file))
    text, recall, false_alarms = report(outcomes, mean_ms)
    print(text)
    return 0 if recall >= TARGET_RECALL and false_alarms <= TARGET_FALSE_ALARMS else 1


if __name__ == "__main__":
    sys.exit(main())
