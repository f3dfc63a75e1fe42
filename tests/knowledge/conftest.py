"""Fixtures for the knowledge tests: the real data, and small data trees built per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowledge import GuideLibrary
from tests.knowledge.builders import write_root


@pytest.fixture(scope="session")
def library() -> GuideLibrary:
    """The real guide library, loaded once (it is immutable)."""
    return GuideLibrary.load()


@pytest.fixture
def make_root(tmp_path: Path) -> Callable[..., Path]:
    """write_root() into this test's temporary directory."""

    def build(**parts: Any) -> Path:
        return write_root(tmp_path / "knowledge", **parts)

    return build
