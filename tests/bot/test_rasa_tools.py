"""Rasa's own tools as part of the suite: data validation and conversation tests."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "muni.tar.gz"

pytestmark = pytest.mark.skipif(not RASA.exists(), reason="the Rasa environment is not set up (make test does it)")


def rasa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([str(RASA), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_training_data_validates_without_warnings() -> None:
    result = rasa("data", "validate", "--config", "config.yml", "--domain", "bot/domain", "--data", "bot/data",
                  "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make test trains it)")
def test_conversation_tests_pass(tmp_path: Path) -> None:
    """tests/conversations: every topic, fallback, handoff and emergency, through the trained model."""
    result = rasa("test", "core", "--model", str(MODEL), "--stories", "tests/conversations",
                  "--out", str(tmp_path), "--fail-on-prediction-errors")
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, details
