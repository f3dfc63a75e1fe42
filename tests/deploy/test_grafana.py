"""The Grafana dashboard (deploy/grafana/muni.json) reads only metrics listed in deploy/grafana/metrics.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")
GRID_COLUMNS = 24


def listed_metrics() -> dict[str, str]:
    """metric name -> type, from the table of metrics.md."""
    rows = re.findall(r"^\| `(muni_\w+)` \| (\w+) \|", (GRAFANA / "metrics.md").read_text(encoding="utf-8"), re.MULTILINE)
    return dict(rows)


DASHBOARD: dict[str, Any] = json.loads((GRAFANA / "muni.json").read_text(encoding="utf-8"))
PANELS: list[dict[str, Any]] = DASHBOARD["panels"]


def expressions() -> list[str]:
    found = [target["expr"] for panel in PANELS for target in panel["targets"]]
    found += [variable["query"]["query"] for variable in DASHBOARD["templating"]["list"] if variable["type"] == "query"]
    return found


def metric(series: str, metrics: dict[str, str]) -> str:
    """The listed metric a series belongs to (a histogram's _bucket, _count and _sum are its own)."""
    for suffix in HISTOGRAM_SERIES:
        base = series.removesuffix(suffix)
        if base != series and metrics.get(base) == "histogram":
            return base
    return series


def test_the_table_lists_the_metrics_the_gateway_exposes() -> None:
    metrics = listed_metrics()
    assert metrics["muni_turn_seconds"] == "histogram"
    assert metrics["muni_active_calls"] == "gauge"
    assert {name for name, kind in metrics.items() if kind == "counter"} == {
        "muni_conversations_total", "muni_handoffs_total", "muni_fallbacks_total",
        "muni_rate_limited_total", "muni_rasa_errors_total",
    }


@pytest.mark.parametrize("expression", expressions())
def test_every_query_names_only_listed_metrics(expression: str) -> None:
    metrics = listed_metrics()
    series = re.findall(r"\bmuni_\w+", expression)
    assert series, "a query of Muni's dashboard reads a Muni metric"
    for name in series:
        assert metric(name, metrics) in metrics, f"{name} is not in deploy/grafana/metrics.md"
        if metrics.get(name) == "counter":
            assert re.search(rf"(rate|increase)\({re.escape(name)}\b", expression), f"{name}: a counter is read as a rate"
    assert expression.count("(") == expression.count(")")


def test_every_listed_metric_has_a_panel() -> None:
    used = {metric(name, listed_metrics()) for expression in expressions() for name in re.findall(r"\bmuni_\w+", expression)}
    assert used == set(listed_metrics())


def test_the_dashboard_is_one_grafana_dashboard_on_a_chosen_prometheus() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["title"] and DASHBOARD["schemaVersion"] >= 36
    ids = [panel["id"] for panel in PANELS]
    assert len(ids) == len(set(ids))
    variables = {variable["name"]: variable for variable in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel in PANELS:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert all(target["refId"] for target in panel["targets"])


def test_the_panels_fit_the_grid_without_overlapping() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in PANELS:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
