"""Builders for small knowledge data trees used by the tests."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO_ROOT / "knowledge"
# CI checks the repository out with shared/ beside it.
SHARED_DIR = REPO_ROOT.parent / "shared"


def guide(
    *lines: str,
    links: list[dict[str, str]] | None = None,
    title: str = "Pas",
    en: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A guide mapping as it is written in guides/<topic>.yml; the English version mirrors the lines unless given."""
    english = en if en is not None else {
        "title": f"EN {title}",
        "lines": [f"EN {line}" for line in lines],
        "links": [{"title": f"EN {link['title']}", "url": link["url"]} for link in links or []],
    }
    return {"title": title, "lines": list(lines), "links": links or [], "en": english}


def write_root(
    root: Path,
    *,
    topics: Mapping[str, str] | None = None,
    guides: Mapping[str, Mapping[str, Any]] | None = None,
    tenants: Mapping[str, Mapping[str, Any]] | None = None,
    national: Mapping[str, Any] | None = None,
) -> Path:
    """Write a knowledge tree: the real variables.yml and contact centre, the rest as given.

    topics: id -> kind (default: passport as a guide, human_agent as conversation);
    tenants: slug -> extra keys, identity filled in from the slug (default: one tenant, alpha).
    """
    (root / "guides").mkdir(parents=True)
    (root / "tenants").mkdir()
    shutil.copy(PACKAGE_DIR / "variables.yml", root / "variables.yml")
    shutil.copy(PACKAGE_DIR / "contact_centre.yml", root / "contact_centre.yml")
    topics = {"passport": "guide", "human_agent": "conversation"} if topics is None else topics
    _dump(root / "topics.yml", {"topics": [{"id": i, "kind": k, "title": i} for i, k in topics.items()]})
    _dump(root / "national.yml", {"values": dict(national or {})})
    for topic, body in (guides or {}).items():
        _dump(root / "guides" / f"{topic}.yml", dict(body))
    for index, (slug, extra) in enumerate((tenants or {"alpha": {}}).items()):
        identity = {
            "slug": slug,
            "name": f"{slug.capitalize()} Kommune",
            "code": 900 + index,
            "website": f"{slug}.dk",
            "network": "midt",
        }
        _dump(root / "tenants" / f"{slug}.yml", {**identity, **extra})
    return root


def _dump(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False), encoding="utf-8")
