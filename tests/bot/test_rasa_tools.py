"""Rasa's own tools as part of the suite: data validation and conversation tests."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "muni.tar.gz"

pytestmark = pytest.mark.skipif(not RASA.exists(), reason=f"no Rasa at {RASA} (make setup builds the Rasa environment)")


def rasa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([str(RASA), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_training_data_validates_without_warnings() -> None:
    result = rasa("data", "validate", "--config", "config.yml", "--domain", "bot/domain", "--data", "bot/data",
                  "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (make setup trains it)")
def test_conversation_tests_pass(tmp_path: Path) -> None:
    """tests/conversations: every topic, fallback, handoff and emergency, through the trained model."""
    result = rasa("test", "core", "--model", str(MODEL), "--stories", "tests/conversations",
                  "--out", str(tmp_path), "--fail-on-prediction-errors")
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, details


def conversation_turns() -> list[tuple[str, str]]:
    """(text, intent) of every typed citizen turn in tests/conversations."""
    turns = []
    for path in sorted((ROOT / "tests" / "conversations").glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            for step in story["steps"]:
                if "user" in step and not step["user"].strip().startswith("/"):
                    turns.append((step["user"].strip(), step["intent"]))
    return turns


@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (make setup trains it)")
def test_conversation_turns_are_understood_as_labelled(tmp_path: Path) -> None:
    """`rasa test core` checks only the actions (every guide shares one), so the
    intents the conversation tests name are checked through the NLU here.

    `rasa test nlu` reports the intent beneath the FallbackClassifier, so turns
    labelled nlu_fallback are left to the end-to-end tests, which see the
    clarifying question itself.
    """
    by_intent: dict[str, list[str]] = {}
    for text, intent in conversation_turns():
        if intent != "nlu_fallback":
            by_intent.setdefault(intent, []).append(text)
    nlu = {"version": "3.1", "nlu": [
        {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)} for intent, texts in by_intent.items()
    ]}
    (tmp_path / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True), encoding="utf-8")
    result = rasa("test", "nlu", "--model", str(MODEL), "--nlu", str(tmp_path / "nlu.yml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads((tmp_path / "out" / "intent_report.json").read_text())
    assert report["accuracy"] > 0, "the turns were evaluated"
    errors_file = tmp_path / "out" / "intent_errors.json"  # Rasa writes it only when there are errors
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    assert [(e["text"], e["intent"], e["intent_prediction"]["name"]) for e in errors] == []
