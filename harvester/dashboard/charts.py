"""Charts drawn on the server as inline SVG: data in, an SVG string out (pure, no I/O).

A page that shows them needs no script and nothing from the network. Every bar
segment is one `<rect class="mark">` with a `<title>` saying what it counts, so
a reader hovering a bar (or a test counting marks) sees one mark per data point.
Every text that reaches the SVG is escaped here.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

# Colours a reader can tell apart; series without a fixed colour take them in turn.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)

WIDTH = 600
PLOT_HEIGHT = 200
LEFT = 44  # room for the y-axis numbers
RIGHT = 12
TOP = 12
X_LABELS = 36  # room under the plot for the x labels
LEGEND_ROW = 18
CHAR = 6.6  # average advance of a 11px sans-serif character, for laying out the legend
WIDE_CHAR = 11.0  # a CJK (East Asian wide) character is a full em
LEGEND_LABEL_CHARS = 32


@dataclass(frozen=True)
class StackedBars:
    """Counts per (category, series): one bar per category, one segment per series with a count."""

    name: str  # the chart's id in the page, e.g. "papers-per-year"
    title: str  # what the chart shows, read by screen readers
    categories: Sequence[str]  # x axis, in order
    series: Sequence[str]  # stacking order, bottom first; also the legend's order
    values: Mapping[tuple[str, str], int]  # (category, series) -> count; missing means 0
    colours: Mapping[str, str] = field(default_factory=dict)  # fixed colours for some series
    category_notes: Mapping[str, str] = field(default_factory=dict)  # extra text in a bar's tooltip
    empty: str = "Nothing to draw yet."

    def points(self) -> list[tuple[str, str, int]]:
        """The data points drawn: every (category, series, count) with a count above 0, in drawing order."""
        return [
            (category, series, self.values[(category, series)])
            for category in self.categories
            for series in self.series
            if self.values.get((category, series), 0) > 0
        ]


def nice_step(top: int, ticks: int = 4) -> int:
    """A round step (1, 2, 5 x 10^k) that divides 0..top into at most `ticks` intervals."""
    if top <= ticks:
        return 1
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # not reached: factor 10 always fits


def series_colours(chart: StackedBars) -> dict[str, str]:
    """Each series' colour: its fixed one, else the palette's next unused colour."""
    colours: dict[str, str] = {}
    free = [c for c in PALETTE if c not in chart.colours.values()] or list(PALETTE)
    turn = 0
    for name in chart.series:
        if name in chart.colours:
            colours[name] = chart.colours[name]
        else:
            colours[name] = free[turn % len(free)]
            turn += 1
    return colours


def text_width(text: str) -> float:
    """About how wide `text` is drawn at 11px: wide (CJK) characters take a full em."""
    return sum(WIDE_CHAR if unicodedata.east_asian_width(c) in ("W", "F") else CHAR for c in text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(series: Sequence[str], colours: Mapping[str, str], top: float) -> tuple[list[str], float]:
    """Swatches and names in rows that wrap at the chart's width; returns the parts and their height."""
    parts: list[str] = []
    x, y = float(LEFT), top
    for name in series:
        label = _shorten(name, LEGEND_LABEL_CHARS)
        width = 14 + text_width(label) + 14
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = float(LEFT), y + LEGEND_ROW
        parts.append(
            f'<g class="legend"><title>{escape(name)}</title>'
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{escape(colours[name])}"/>'
            f'<text x="{x + 14:.1f}" y="{y:.1f}">{escape(label)}</text></g>'
        )
        x += width
    return parts, (y - top) + LEGEND_ROW if series else 0.0


def stacked_bars_svg(chart: StackedBars) -> str:
    """The chart as one `<svg>` element; a chart without data says so in its place."""
    points = chart.points()
    name = escape(chart.name)
    if not points:
        return (
            f'<svg class="chart" data-chart="{name}" role="img" aria-label="{escape(chart.title)}" '
            f'viewBox="0 0 {WIDTH} 40" width="{WIDTH}" height="40" xmlns="http://www.w3.org/2000/svg">'
            f'<text class="empty" x="{LEFT}" y="24">{escape(chart.empty)}</text></svg>'
        )
    colours = series_colours(chart)
    totals = {
        c: sum(chart.values.get((c, s), 0) for s in chart.series if chart.values.get((c, s), 0) > 0)
        for c in chart.categories
    }
    step = nice_step(max(totals.values()))
    top_value = step * math.ceil(max(totals.values()) / step)
    plot_width = WIDTH - LEFT - RIGHT
    band = plot_width / len(chart.categories)
    bar = max(2.0, min(band * 0.72, 48.0))
    base = TOP + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return base - value / top_value * PLOT_HEIGHT

    parts: list[str] = []
    for tick in range(0, top_value + 1, step):
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    # Labels would overlap past about one per 40 pixels: show every n-th, always the last.
    every = max(1, math.ceil(40 / band))
    for index, category in enumerate(chart.categories):
        centre = LEFT + band * (index + 0.5)
        stacked = 0
        for series in chart.series:
            count = chart.values.get((category, series), 0)
            if count <= 0:
                continue
            y_top = y_of(stacked + count)
            height = y_of(stacked) - y_top
            note = chart.category_notes.get(category)
            tooltip = f"{category}{f' ({note})' if note else ''} · {series}: {count}"
            parts.append(
                f'<rect class="mark" x="{centre - bar / 2:.1f}" y="{y_top:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{escape(colours[series])}" data-category="{escape(category)}" '
                f'data-series="{escape(series)}" data-value="{count}"><title>{escape(tooltip)}</title></rect>'
            )
            stacked += count
        if index % every == 0 or index == len(chart.categories) - 1:
            parts.append(
                f'<text class="label" x="{centre:.1f}" y="{base + 16}" text-anchor="middle">'
                f"{escape(_shorten(category, 10))}</text>"
            )
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>')
    legend, legend_height = _legend(chart.series, colours, base + X_LABELS)
    height = base + X_LABELS + legend_height
    return (
        f'<svg class="chart" data-chart="{name}" role="img" aria-label="{escape(chart.title)}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
        f"<title>{escape(chart.title)}</title>"
        "<style>.grid{stroke:#e4e4e4}.axis{stroke:#888}.tick,.label{fill:#555}.legend text{fill:#333}</style>"
        + "".join(parts)
        + "".join(legend)
        + "</svg>"
    )
