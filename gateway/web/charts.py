"""Charts of a meter as server-rendered SVG (pygal), with the numbers as a table.

pygal's output is made safe to inline in a page: its embedded ``<script>`` (tooltip
configuration) and comments are removed and no external script is referenced (``js=[]``),
so nothing loads from elsewhere and the page's CSP allows no extra script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5260",
    colors=("#0b5cad", "#1d6b34"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    title_font_size=16,
)


@dataclass(frozen=True, slots=True)
class Series:
    """Labelled values (dates or times) of one chart."""

    title: str
    labels: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def readings(
    body: Any, *, divisor: float = 1.0, time_labels: bool = False
) -> tuple[list[str], list[float]]:
    """(labels, values) of a v5 ``meter_reading`` body (empty when it has none)."""
    try:
        items = body["meter_reading"]["interval_reading"]
    except (KeyError, TypeError):
        return [], []
    labels: list[str] = []
    values: list[float] = []
    for item in items:
        try:
            value = float(item["value"]) / divisor
            stamp = str(item["date"])
        except (KeyError, TypeError, ValueError):
            continue
        labels.append(stamp[11:16] if time_labels and len(stamp) >= 16 else stamp[:10])
        values.append(round(value, 3))
    return labels, values


def safe_svg(svg: str) -> str:
    """pygal's SVG without scripts or comments."""
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


def render(series: Series, *, bars: bool) -> str:
    """An inline SVG chart of ``series``."""
    kind = pygal.Bar if bars else pygal.Line
    chart = kind(
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        x_label_rotation=45,
        width=800,
        height=340,
        style=_STYLE,
        show_dots=False,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(series.labels) // 10),
        truncate_label=-1,
    )
    chart.title = series.title
    chart.x_labels = series.labels
    chart.add(series.title, series.values)
    return safe_svg(chart.render(is_unicode=True))
