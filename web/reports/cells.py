"""A report table's cells as people read them, formatted once in Python: a macro call per cell
cost more than the whole report's queries on the larger tables (thousands of cells)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from . import bp


@bp.app_template_filter("cell")
def cell_text(value: Any) -> Markup:
    """1,234 for a count, 12.5 for a rate, any other value (a label, "<5") as it is; escaped."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Markup(f"{value:,}")
    if isinstance(value, float):
        return Markup(f"{value:,.1f}")
    return escape(value)


@bp.app_template_global()
def display_rows(shown: pd.DataFrame, numeric: Iterable[str]) -> list[list[tuple[Markup, bool]]]:
    """Each row of `shown` as (cell text, numeric column?) pairs, for the table's markup."""
    numbers = set(numeric)
    flags = [column in numbers for column in shown.columns]
    return [
        [(cell_text(value), flag) for value, flag in zip(row, flags, strict=True)]
        for row in shown.itertuples(index=False)
    ]
