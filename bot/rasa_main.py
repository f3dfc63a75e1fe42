"""Rasa 3.6's own `rasa` command, with the one change Muni makes to Rasa at run time.

Rasa checks every answer of the action server against its JSON schema with `jsonschema.validate`,
which first checks the schema itself against the JSON Schema meta-schema and then builds a new
validator, on every call: some 30 ms of CPU for each action the action server runs, and a chat turn
runs one to four. That was more than half of the CPU a turn cost Rasa (`make bench-load` prints the
CPU a turn costs each process). Here the validator is built once, for the same schema; an answer
that does not fit it raises the same ValidationError, with Rasa's own hint, as before.

Run it as Rasa's command (Python 3.10, Rasa's environment; it imports nothing of Muni's):
`python bot/rasa_main.py run --model …` (ops/supervisor.py, deploy/rasa/serve.py).
"""

from __future__ import annotations

import functools
import sys
from typing import Any


def install() -> None:
    """Let RemoteAction check the action server's answers with a validator built once."""
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions import action

    @functools.cache
    def validator() -> Any:
        schema = action.RemoteAction.action_response_format_spec()
        cls = validators.validator_for(schema)
        cls.check_schema(schema)  # what jsonschema.validate does on each call, done once
        return cls(schema)

    def validate_action_result(self: action.RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator().iter_errors(result))  # as jsonschema.validate picks the error
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            "For more information about the format visit "
            f"{action.DOCS_BASE_URL}/custom-actions"
        )
        raise error

    action.RemoteAction._validate_action_result = validate_action_result


def main() -> int:
    install()
    from rasa.__main__ import main as rasa

    sys.argv[0] = "rasa"
    rasa()
    return 0


if __name__ == "__main__":
    sys.exit(main())
