from tests.support.postgres import postgres_url  # noqa: F401 (the fixture, for the backup and Rasa store tests)
