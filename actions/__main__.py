"""`python -m actions [rasa-sdk options]`: check the settings, then serve the actions with rasa-sdk."""

from __future__ import annotations

import sys

from muni.env import SettingsError


def main() -> int:
    from actions.settings import action_settings

    try:
        settings = action_settings()
    except SettingsError as error:
        print(f"Invalid configuration of the action server: {error}", file=sys.stderr)
        return 2
    if not settings.real_booking_apis:
        # Said at start, never silently: every booking goes to the sandbox.
        print("No MUNI_BOOKING_URL_<SLUG> is set: bookings go to the SANDBOX booking server", file=sys.stderr)
    from rasa_sdk.__main__ import main as serve

    sys.argv = [sys.argv[0], "--actions", "actions", *sys.argv[1:]]
    serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
