"""Fixtures every test directory may use: the database on each backend (`tests/support/databases.py`)."""

pytest_plugins = ["tests.support.databases"]
