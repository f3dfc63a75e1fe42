"""What a test does when a server or tool it needs is missing: skip here, fail in CI.

A developer's machine may lack PostgreSQL; CI runs it (CI=true in its environment), so
there a missing server is a broken build and must fail, never skip silently.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this run is CI's (CI=true), where every server the suite needs is provided."""
    return os.environ.get("CI", "").strip().lower() == "true"


def service_missing(reason: str) -> NoReturn:
    """Skip the test with `reason` (what is missing, what was tried, how to get it); fail it in CI."""
    if in_ci():
        pytest.fail(f"{reason} [CI=true: CI provides this, so its tests fail instead of skipping]", pytrace=False)
    pytest.skip(reason)
