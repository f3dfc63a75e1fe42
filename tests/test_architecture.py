"""The package graph of ARCHITECTURE.md: no cycles between the project's packages.

The layer rules themselves are import-linter contracts in pyproject.toml, run by `make lint`
(part of `make test`); this test adds what a contract cannot say: no two packages import
each other, directly or through others.
"""

from __future__ import annotations

import grimp

from muni.paths import ROOT

PACKAGES = (
    "muni", "conversation", "crisis", "gateway", "web", "voice", "admin", "sms", "actions", "rasa_sdk_plugins",
    "knowledge", "crawler", "booking", "ops",
)  # fmt: skip


def package_graph() -> dict[str, set[str]]:
    """Top-level package -> the top-level packages it imports (function-level imports included)."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            source, target = importer.split(".")[0], imported.split(".")[0]
            if source != target:
                edges[source].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle once, as the path that closes it (depth-first search)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for neighbour in sorted(edges[node]):
            if state.get(neighbour) == "open":
                found.append([*path[path.index(neighbour) :], neighbour])
            elif neighbour not in state:
                visit(neighbour, [*path, neighbour])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_the_project_packages_import_each_other_without_cycles() -> None:
    assert cycles(package_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_every_package_of_the_architecture_exists() -> None:
    assert [package for package in PACKAGES if not (ROOT / package / "__init__.py").is_file()] == []
