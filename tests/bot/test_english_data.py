"""English is understood: English training examples for every intent, and an English evaluation set kept apart."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from bench.eval import load_questions
from knowledge import load_topics

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "bot" / "data" / "nlu"
ENGLISH_EVAL = ROOT / "bench" / "data" / "english_eval.yml"
# Words that mark an example as English (and are not Danish words).
ENGLISH = re.compile(
    r"\b(the|my|how|what|when|where|can|do|does|is|are|i|you|want|need|get|please|hello|hi|hey|good|thanks|bye"
    r"|forget|quit|mind)\b"
)
MIN_ENGLISH_EXAMPLES = 5


def _examples() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(NLU.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in item:
                lines = [line.strip()[2:].strip() for line in item["examples"].splitlines() if line.strip()]
                found.setdefault(item["intent"], []).extend(lines)
    return found


def _english(text: str) -> bool:
    return bool(ENGLISH.search(text.lower())) and not re.search(r"[æøå]", text.lower())


def test_every_intent_has_english_examples() -> None:
    thin = {intent: sum(map(_english, lines)) for intent, lines in _examples().items()}
    thin = {intent: count for intent, count in thin.items() if count < MIN_ENGLISH_EXAMPLES}
    assert not thin, f"intents with fewer than {MIN_ENGLISH_EXAMPLES} English examples: {thin}"


def test_the_english_eval_covers_every_topic_in_english() -> None:
    questions = load_questions(ENGLISH_EVAL)
    topics = load_topics()
    answerable = {t.id for t in topics.values() if t.kind in ("guide", "flow")}

    assert len(questions) >= 60
    assert {q.language for q in questions} == {"en"}
    assert {q.topic for q in questions} <= set(topics) | {"out_of_scope"}
    assert answerable <= {q.topic for q in questions}, "every guide and flow topic is asked about"


def _same(text: str) -> str:
    """A question as the NLU sees it: case, spacing and the closing punctuation do not make it another one."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def test_no_eval_question_is_a_training_example() -> None:
    training = {_same(text) for lines in _examples().values() for text in lines}
    shared = ROOT.parent / "shared" / "eval" / "dev_questions.yml"
    danish = {_same(q.text): q.text for q in load_questions(shared)} if shared.exists() else {}

    for question in load_questions(ENGLISH_EVAL):
        assert _same(question.text) not in training, question.text
        assert _same(question.text) not in danish, question.text
    assert sorted(set(danish) & training) == [], "Danish evaluation questions among the training examples"
