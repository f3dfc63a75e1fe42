"""Crisis mode on the real gateway (create_app) with the fake Rasa, a throwaway database and a movable clock."""

from __future__ import annotations

from tests.admin.conftest import clock, console, directory, make_console  # noqa: F401
from tests.web.conftest import contact_centre, database_path, fake_rasa, postgres_url, rasa, settings  # noqa: F401
