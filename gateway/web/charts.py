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


def _style(colour: str) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1b1f24",
        foreground_strong="#1b1f24",
        foreground_subtle="#4a5260",
        colors=(colour,),
        font_family="system-ui, sans-serif",
        label_font_size=12,
        major_label_font_size=12,
    )


@dataclass(frozen=True, slots=True)
class Series:
    """Labelled values (dates or times) of one chart."""

    title: str
    labels: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def day_label(iso_day: str, lang: str) -> str:
    """``2026-11-28`` as people read it: ``28/11`` in French, ``11-28`` in English."""
    if len(iso_day) != 10:
        return iso_day
    return f"{iso_day[8:10]}/{iso_day[5:7]}" if lang == "fr" else iso_day[5:10]


def readings(
    body: Any, *, lang: str, divisor: float = 1.0, time_labels: bool = False
) -> tuple[list[str], list[float]]:
    """(labels, values) of a v5 ``meter_reading`` body (empty when it has none): days as
    ``day_label``, load-curve points as the ``HH:MM`` their interval ends."""
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
        labels.append(
            stamp[11:16] if time_labels and len(stamp) >= 16 else day_label(stamp[:10], lang)
        )
        values.append(round(value, 3))
    return labels, values


def safe_svg(svg: str) -> str:
    """pygal's SVG without scripts or comments."""
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


def render(series: Series, *, bars: bool, colour: str = "#0b5cad") -> str:
    """An inline SVG chart of ``series`` (its title is the page's heading, not repeated)."""
    kind = pygal.Bar if bars else pygal.Line
    chart = kind(
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        x_label_rotation=45,
        width=800,
        height=340,
        style=_style(colour),
        show_dots=False,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(series.labels) // 10),
        truncate_label=-1,
        include_x_axis=True,
    )
    chart.x_labels = series.labels
    chart.add(series.title, series.values)
    return safe_svg(chart.render(is_unicode=True))
