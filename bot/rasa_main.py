"""Rasa 3.6's own `rasa` command, with the two changes Muni makes to Rasa at run time.

1. Rasa checks every answer of the action server against its JSON schema with `jsonschema.validate`,
which first checks the schema itself against the JSON Schema meta-schema and then builds a new
validator, on every call: some 30 ms of CPU for each action the action server runs, and a chat turn
runs one to four. That was more than half of the CPU a turn cost Rasa (`make bench-load` prints the
CPU a turn costs each process). Here the validator is built once, for the same schema; an answer
that does not fit it raises the same ValidationError, with Rasa's own hint, as before.

2. Rasa's SQL tracker store (`type: SQL` in the endpoints files) is `CachedSQLTrackerStore`
(bot/cached_tracker_store.py): the tracker saved at the end of a turn is handed out at the start of
the next while the database holds nothing newer for the conversation, instead of being rebuilt
from every event of it. That was some 28 % of the CPU a turn cost Rasa after the first change.
On SQLite (`make run`) the store also keeps its connections open, in WAL mode, instead of opening
one for every query and syncing the disk at every commit: some 3 ms of Rasa's CPU a turn.

Run it as Rasa's command (Python 3.10, Rasa's environment; of Muni's it imports only the module beside it):
`python bot/rasa_main.py run --model …` (ops/supervisor.py, deploy/rasa/serve.py).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any


def install() -> None:
    """Both changes: RemoteAction's validator built once, and the cached SQL tracker store."""
    install_validator()
    install_tracker_store()


def install_validator() -> None:
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


def install_tracker_store() -> None:
    """`type: SQL` in an endpoints file makes a CachedSQLTrackerStore (Rasa looks the class up when it reads the file)."""
    from rasa.core import tracker_store

    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # run as a script, this folder is already first
        sys.path.insert(0, here)
    from cached_tracker_store import CachedSQLTrackerStore

    tracker_store.SQLTrackerStore = CachedSQLTrackerStore  # type: ignore[misc]


def main() -> int:
    install()
    from rasa.__main__ import main as rasa

    sys.argv[0] = "rasa"
    rasa()
    return 0


if __name__ == "__main__":
    sys.exit(main())
