"""Geometry of the overview's charts, drawn as SVG by the templates (no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown
    y: int
    width: float  # in the chart's units (0–BAR_WIDTH)
    css: str


BAR_WIDTH, ROW, LABEL = 300.0, 24, 150


def bars(values: list[tuple[str, float, str, str]], *, scale: float | None = None) -> list[Bar]:
    """Horizontal bars, one row each: (label, value, shown text, css class). Longest bar is the
    largest value (or ``scale``)."""
    top = scale or max((v for _, v, _, _ in values), default=0) or 1
    return [Bar(label, value, text, i * ROW, BAR_WIDTH * value / top, css)
            for i, (label, value, text, css) in enumerate(values)]


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    x: float
    width: float
    css: str


def stacked(values: list[tuple[str, int, str]], width: float = 600.0) -> list[Segment]:
    """One bar split into segments proportional to their values (label, value, css)."""
    total = sum(v for _, v, _ in values) or 1
    out, x = [], 0.0
    for label, value, css in values:
        w = width * value / total
        out.append(Segment(label, value, x, w, css))
        x += w
    return out
