"""bot/rasa_main.py: Rasa checks the action server's answers as before, with a validator built once."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason=f"no Rasa at {RASA_PYTHON} (make setup builds it)")

# Run in Rasa's environment: each answer checked by Rasa's own method, then by Muni's, and how many
# times the schema itself was checked against the meta-schema while Muni's method ran.
SCRIPT = r"""
import json, runpy, sys
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

answers = json.loads(sys.argv[1])
action = RemoteAction("action_finish_booking", None)

def outcome(method, answer):
    try:
        return method(action, answer)
    except ValidationError as error:
        return "invalid: " + error.message

rasas = [outcome(RemoteAction._validate_action_result, answer) for answer in answers]
runpy.run_path(sys.argv[2])["install"]()
checked = []
kind = validators.validator_for(RemoteAction.action_response_format_spec())
original = kind.check_schema
kind.check_schema = classmethod(lambda cls, schema, **kw: (checked.append(1), original(schema, **kw))[1])
munis = [outcome(RemoteAction._validate_action_result, answer) for answer in answers * 3]
print(json.dumps({"rasa": rasas, "muni": munis, "schema_checks": len(checked)}))
"""

ANSWERS = [
    {"events": [{"event": "slot", "name": "booking_hold", "value": "h-1", "timestamp": None}],
     "responses": [{"text": "Din tid er bestilt", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]},
    {"events": [], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_answers_are_judged_as_rasa_judges_them_with_the_schema_checked_once() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, json.dumps(ANSWERS), str(ROOT / "bot" / "rasa_main.py")],
        cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    judged = json.loads(result.stdout.strip().splitlines()[-1])
    assert judged["rasa"][:2] == [True, True]
    assert all(str(verdict).startswith("invalid: ") for verdict in judged["rasa"][2:])
    assert judged["muni"] == judged["rasa"] * 3  # the same verdicts and messages, Rasa's hint included
    assert "Failed to validate Action server response" in judged["muni"][2]
    assert judged["schema_checks"] == 1  # once for fifteen answers, not once per answer
