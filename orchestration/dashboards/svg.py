"""Charts as inline SVG strings, drawn in Python so the pages need no JavaScript library.

Dashboards are opened from disk, often offline, by people who cannot install anything: a
chart library from a CDN would fail there, and a bundled one would add a dependency and
megabytes per export. Every chart here is a plain `<svg class="chart">`, readable without
JavaScript, with a `<title>` per mark as its tooltip. A chart with no data still draws its
frame and says so, so "every chart has drawn" holds for empty records too.

Every text and colour placed in a chart goes through `_e` (HTML escaping; names, subjects
and categories come from CRM users), numbers through `_number`, so each chart function
returns `Markup` that the page templates place as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""
AXIS_COLOUR = "#8a8f98"
GRID_COLOUR = "#e4e7eb"
TEXT_COLOUR = "#3c4149"

# Colour-blind safe (Tableau 10): one colour per side and per activity type, used everywhere.
TEAM_COLOUR = "#4e79a7"
CUSTOMER_COLOUR = "#f28e2b"
TYPE_COLOURS = {"email": "#4e79a7", "meeting": "#f28e2b", "phone_call": "#59a14f"}
STATE_COLOURS = {
    "good": "#59a14f",
    "fair": "#edc948",
    "poor": "#e15759",
    "not_enough_info": "#bab0ac",
    "not_applicable": "#d4d4d4",
}


@dataclass(frozen=True)
class Series:
    """One stacked layer: a name for the legend, a colour, one value per category."""

    name: str
    colour: str
    values: Sequence[float]


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    """SVG coordinates with at most two decimals, so output is small and repeatable."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis maximum at or above `value` and a tick step: 1, 2, 2.5 or 5 times a power of 10."""
    if value <= 0:
        return 1.0, 1.0
    raw_step = value / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = magnitude
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if raw_step <= step:
            break
    if step < 1 and value >= 1:
        step = 1.0
    return step * math.ceil(value / step - 1e-9), step


def _frame(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{_e(label)}" {FONT} font-size="11">'
        f"<title>{_e(label)}</title>" + "".join(body) + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    parts = []
    for name, colour in items:
        parts.append(
            f'<rect class="legend" x="{_number(x)}" y="{_number(y - 9)}" width="10" height="10" '
            f'fill="{_e(colour)}"/><text x="{_number(x + 14)}" y="{_number(y)}" '
            f'fill="{TEXT_COLOUR}">{_e(name)}</text>'
        )
        x += 24 + 6.5 * len(name)
    return parts


def _empty_note(width: int, top: float, bottom: float, message: str) -> str:
    return (
        f'<text class="empty" x="{_number(width / 2)}" y="{_number((top + bottom) / 2)}" '
        f'text-anchor="middle" fill="{AXIS_COLOUR}">{_e(message)}</text>'
    )


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    width: int = 460,
    height: int = 220,
    tick_every: int = 1,
    tooltips: Sequence[str] | None = None,
    empty_message: str = "No activity",
) -> Markup:
    """Vertical bars, one per category, each stacked from the series in order (bottom first).

    `tick_every` labels every n-th category (a 60-day axis cannot label every day);
    `tooltips` gives one text per category, shown on hover over the whole bar.
    """
    left, right, top, bottom = 40, 10, 24, 34
    plot_width, plot_height = width - left - right, height - top - bottom
    totals = [sum(layer.values[index] or 0 for layer in series) for index in range(len(categories))]
    maximum, step = nice_ceiling(max(totals, default=0))
    body = _legend([(layer.name, layer.colour) for layer in series], left, 12)

    # Grid lines and y-axis labels.
    tick = 0.0
    while tick <= maximum + 1e-9:
        y = top + plot_height - plot_height * tick / maximum
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_number(y)}" y2="{_number(y)}" '
            f'stroke="{GRID_COLOUR}"/><text x="{left - 6}" y="{_number(y + 4)}" '
            f'text-anchor="end" fill="{AXIS_COLOUR}">{_number(tick)}</text>'
        )
        tick += step
    body.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_height}" '
        f'y2="{top + plot_height}" stroke="{AXIS_COLOUR}"/>'
    )

    slot = plot_width / max(len(categories), 1)
    bar_width = max(slot * 0.7, 1.0)
    for index, category in enumerate(categories):
        x = left + slot * index + (slot - bar_width) / 2
        base = top + plot_height
        marks = []
        for layer in series:
            value = layer.values[index] or 0
            if value <= 0:
                continue
            bar_height = plot_height * value / maximum
            base -= bar_height
            marks.append(
                f'<rect class="bar" x="{_number(x)}" y="{_number(base)}" '
                f'width="{_number(bar_width)}" height="{_number(bar_height)}" '
                f'fill="{_e(layer.colour)}"><title>{_e(category)}: {_e(layer.name)} '
                f"{_number(value)}</title></rect>"
            )
        if marks:
            tip = tooltips[index] if tooltips else f"{category}: {_number(totals[index])}"
            body.append(f"<g><title>{_e(tip)}</title>{''.join(marks)}</g>")
        if index % tick_every == 0:
            body.append(
                f'<text x="{_number(left + slot * index + slot / 2)}" '
                f'y="{top + plot_height + 14}" text-anchor="middle" '
                f'fill="{TEXT_COLOUR}">{_e(category)}</text>'
            )
    if not any(totals):
        body.append(_empty_note(width, top, top + plot_height, empty_message))
    return _frame(width, height, label, body)


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    label: str,
    bands: Sequence[tuple[str, float, float, str]] = (),
    y_max: float = 100.0,
    width: int = 460,
    height: int = 200,
    empty_message: str = "No history",
) -> Markup:
    """A line over evenly spaced labels (days), broken where a value is missing.

    `bands` are (name, low, high, colour) horizontal ranges drawn behind the line, e.g. the
    health states, so a reader sees which state each day fell in.
    """
    left, right, top, bottom = 40, 10, 12, 30
    plot_width, plot_height = width - left - right, height - top - bottom
    body: list[str] = []

    def y_of(value: float) -> float:
        return top + plot_height - plot_height * max(0.0, min(value, y_max)) / y_max

    for name, low, high, colour in bands:
        y_top, y_bottom = y_of(high + (1 if high < y_max else 0)), y_of(low)
        body.append(
            f'<rect class="band" x="{left}" y="{_number(y_top)}" width="{plot_width}" '
            f'height="{_number(y_bottom - y_top)}" fill="{_e(colour)}" fill-opacity="0.15">'
            f"<title>{_e(name)}: {_number(low)}-{_number(high)}</title></rect>"
        )
    for tick in (0, y_max / 4, y_max / 2, 3 * y_max / 4, y_max):
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_number(y)}" y2="{_number(y)}" '
            f'stroke="{GRID_COLOUR}"/><text x="{left - 6}" y="{_number(y + 4)}" '
            f'text-anchor="end" fill="{AXIS_COLOUR}">{_number(tick)}</text>'
        )
    count = len(labels)
    span = max(count - 1, 1)

    def x_of(index: int) -> float:
        return left + plot_width * index / span

    for index in sorted({0, count // 2, count - 1}) if count else []:
        body.append(
            f'<text x="{_number(x_of(index))}" y="{top + plot_height + 16}" '
            f'text-anchor="{"start" if index == 0 else "end" if index == count - 1 else "middle"}"'
            f' fill="{TEXT_COLOUR}">{_e(labels[index])}</text>'
        )

    segments: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((x_of(index), y_of(value)))
    for points in segments:
        if len(points) == 1:
            x, y = points[0]
            body.append(
                f'<circle class="point" cx="{_number(x)}" cy="{_number(y)}" r="2.5" '
                f'fill="{TEAM_COLOUR}"/>'
            )
        elif points:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{_number(x)},{_number(y)}"
                for i, (x, y) in enumerate(points)
            )
            body.append(
                f'<path class="line" d="{path}" fill="none" stroke="{TEAM_COLOUR}" '
                f'stroke-width="2"/>'
            )
    present = [(index, value) for index, value in enumerate(values) if value is not None]
    if present:
        index, value = present[-1]
        body.append(
            f'<circle class="point" cx="{_number(x_of(index))}" cy="{_number(y_of(value))}" '
            f'r="3.5" fill="{TEAM_COLOUR}"><title>{_e(labels[index])}: {_number(value)}</title>'
            f"</circle>"
        )
    else:
        body.append(_empty_note(width, top, top + plot_height, empty_message))
    return _frame(width, height, label, body)


def horizontal_bar_chart(
    rows: Sequence[tuple[str, float | None, str, str]],
    *,
    label: str,
    maximum: float | None = None,
    width: int = 460,
    row_height: int = 26,
    label_width: int = 150,
    empty_message: str = "No data",
) -> Markup:
    """One bar per row: (label, value, text shown after the bar, colour).

    A missing value draws no bar but keeps its row and text ("—"), so every chart of a
    kind has the same shape and rows line up between records. No rows: the empty message.
    """
    top = 6
    height = top * 2 + row_height * max(len(rows), 1)
    values = [value for _, value, _, _ in rows if value is not None]
    scale = maximum if maximum is not None else max(values, default=0)
    scale = scale if scale and scale > 0 else 1.0
    bar_space = width - label_width - 140  # room for the value text after the longest bar
    body: list[str] = []
    if rows:
        body.append(
            f'<line x1="{label_width}" x2="{label_width}" y1="{top}" y2="{height - top}" '
            f'stroke="{AXIS_COLOUR}"/>'
        )
    for index, (name, value, text, colour) in enumerate(rows):
        y = top + row_height * index
        body.append(
            f'<text x="{label_width - 8}" y="{_number(y + row_height / 2 + 4)}" '
            f'text-anchor="end" fill="{TEXT_COLOUR}">{_e(name)}</text>'
        )
        bar_width = bar_space * max(value or 0, 0) / scale
        # A track behind each bar shows the full scale, so 0% reads as "none", not "missing".
        body.append(
            f'<rect class="track" x="{label_width}" y="{_number(y + 5)}" '
            f'width="{_number(bar_space)}" height="{row_height - 10}" fill="{GRID_COLOUR}" '
            f'fill-opacity="0.5"/>'
        )
        if value is not None and value > 0:
            body.append(
                f'<rect class="bar" x="{label_width}" y="{_number(y + 5)}" '
                f'width="{_number(max(bar_width, 1))}" height="{row_height - 10}" '
                f'fill="{_e(colour)}"><title>{_e(name)}: {_e(text)}</title></rect>'
            )
        body.append(
            f'<text x="{_number(label_width + bar_width + 6)}" '
            f'y="{_number(y + row_height / 2 + 4)}" fill="{TEXT_COLOUR}">{_e(text)}</text>'
        )
    if not rows:
        body.append(_empty_note(width, 0, height, empty_message))
    return _frame(width, height, label, body)
