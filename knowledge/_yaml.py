"""Reading the package's YAML files with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import KnowledgeDataError


def read_mapping(path: Path) -> dict[str, Any]:
    """Return the top-level mapping of a YAML file."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeDataError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeDataError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeDataError(f"{path}: expected a mapping at the top level")
    return data


def require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return data[key], checking it is present and of the expected type."""
    if key not in data:
        raise KnowledgeDataError(f"{where}: missing {key!r}")
    value = data[key]
    # bool is an int subclass; a YAML `yes` must not pass for a number.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise KnowledgeDataError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
