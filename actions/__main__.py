"""`python -m actions [rasa-sdk options]`: check the settings, then serve the actions with rasa-sdk (actions/server.py)."""

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
    from actions.server import serve

    serve(sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
