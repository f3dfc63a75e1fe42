"""Where Muni keeps its files: one rule for `var/` in every process, whatever the working directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# The repository (or installed tree) root: the folder above this package.
ROOT = Path(__file__).resolve().parent.parent


def var_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """MUNI_VAR_DIR as an absolute path (relative values resolve against ROOT), or ROOT/var."""
    raw = environ.get("MUNI_VAR_DIR", "").strip()
    if not raw:
        return ROOT / "var"
    path = Path(raw).expanduser()
    return path if path.is_absolute() else ROOT / path


def in_var(environ: Mapping[str, str], name: str, default: str) -> Path:
    """The path variable `name` names (relative values resolve against ROOT), or var_dir()/default."""
    raw = environ.get(name, "").strip()
    if not raw:
        return var_dir(environ) / default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else ROOT / path
