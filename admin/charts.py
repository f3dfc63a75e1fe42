"""Bar charts as geometry for server-rendered SVG (the template draws them; no script anywhere)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 200, 10, 24, 36


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool


@dataclass(frozen=True)
class BarChart:
    """A titled series of bars; `rows` is the same data for the table beside it."""

    id: str
    title: str
    unit: str
    bars: list[Bar]
    maximum: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(bar.label, bar.value) for bar in self.bars]


def bar_chart(chart_id: str, title: str, unit: str, points: list[tuple[str, int]]) -> BarChart:
    """Bars scaled to the largest value; every nth label shown so at most about 12 fit under the axis."""
    maximum = max((value for _, value in points), default=0)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / max(1, len(points))
    step = max(1, round(len(points) / 12))
    bars = [
        Bar(
            label=label,
            value=value,
            x=round(LEFT + i * slot + slot * 0.1, 1),
            y=round(HEIGHT - BOTTOM - (value / maximum * plot_h if maximum else 0), 1),
            width=round(slot * 0.8, 1),
            height=round(value / maximum * plot_h if maximum else 0, 1),
            show_label=i % step == 0,
        )
        for i, (label, value) in enumerate(points)
    ]
    return BarChart(chart_id, title, unit, bars, maximum)
