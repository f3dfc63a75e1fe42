"""`python -m actions [rasa-sdk options]`: check the settings, then serve the actions with rasa-sdk."""

from __future__ import annotations

import sys

from muni.env import SettingsError


def main() -> int:
    from actions.settings import action_settings

    try:
        action_settings()
    except SettingsError as error:
        print(f"Invalid configuration of the action server: {error}", file=sys.stderr)
        return 2
    from rasa_sdk.__main__ import main as serve

    sys.argv = [sys.argv[0], "--actions", "actions", *sys.argv[1:]]
    serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
