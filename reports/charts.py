"""Charts as SVG drawn on the server (matplotlib), so report pages work offline and in print.

A chart draws a table's shown numbers: a cell hidden by the small-cell rule is left out (drawn as
nothing), never drawn at its true size. The same table always gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .tables import ReportTable  # noqa: E402

# Colours with at least 3:1 contrast against white and between neighbours (WCAG 1.4.11).
PALETTE = ("#1d4f91", "#c8102e", "#5b7f2b", "#7a4d9e", "#b35c00", "#4d4d4d")
WIDTH_IN = 7.0


def chart_svg(table: ReportTable) -> str:
    """The table's chart as an SVG document ("" when the table has no chart or no rows)."""
    spec = table.chart
    if spec is None or table.empty:
        return ""
    shown = table.shown()
    # hidden cells are not numbers: no bar, a gap in a line
    values = shown[list(spec.values)].apply(pd.to_numeric, errors="coerce")
    labels = shown[spec.label].astype(str)
    with plt.rc_context(_STYLE):  # type: ignore[arg-type]  # (its stubs list the keys as literals)
        if spec.kind == "lines":
            figure = _lines(labels, values, spec.title, spec.unit)
        else:
            top = values.head(spec.top).fillna(0)
            figure = _bars(labels.head(spec.top), top, spec.title, spec.unit)
        out = io.StringIO()
        figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(figure)
    return out.getvalue()


_STYLE: dict[str, Any] = {
    "svg.hashsalt": "counselmatch",  # stable ids: the same table gives the same bytes
    "svg.fonttype": "none",  # text stays text: smaller, searchable, printable
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _bars(labels: pd.Series, values: pd.DataFrame, title: str, unit: str) -> Figure:
    """Horizontal bars, stacked when there are several value columns; first row on top."""
    height = max(1.6, 0.3 * len(labels) + 0.9)
    figure, axes = plt.subplots(figsize=(WIDTH_IN, height))
    positions = range(len(labels))[::-1]
    left = pd.Series(0.0, index=values.index)
    for colour, column in zip(PALETTE, values.columns, strict=False):
        axes.barh(list(positions), values[column], left=left, color=colour, label=column)
        left = left + values[column]
    axes.set_yticks(list(positions), labels=list(labels))
    axes.set_xlabel(unit)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(values.columns) > 1:
        axes.legend(loc="lower right", frameon=False)
    if title:
        axes.set_title(title, loc="left")
    return figure


def _lines(labels: pd.Series, values: pd.DataFrame, title: str, unit: str) -> Figure:
    """One line per value column over the labels (days, months), in order."""
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 3.0))
    positions = list(range(len(labels)))
    for colour, column in zip(PALETTE, values.columns, strict=False):
        axes.plot(positions, values[column], color=colour, label=column, marker="o")
    step = max(1, len(labels) // 12)
    axes.set_xticks(positions[::step], labels=list(labels)[::step], rotation=45, ha="right")
    axes.set_ylabel(unit)
    if len(values.columns) > 1:
        axes.legend(frameon=False)
    if title:
        axes.set_title(title, loc="left")
    return figure
