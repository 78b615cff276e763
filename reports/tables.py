"""What a report is made of: tables of counts, with the small-cell rule that decides what shows.

A `ReportTable` keeps the raw numbers (a DataFrame) and says which columns count children.
`shown()` is the one place that turns numbers into what people see: a count of 1 to 4 children
shows as "<5"; where one part of a whole (represented / without counsel) is hidden, so are the
other parts and the rates drawn from them, since the whole minus the shown part would give the
hidden one away. The page, the CSV and the chart all read `shown()` (the chart leaves hidden
cells out), so they carry the same numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from models.csv_formats import protect_cell

# Groups of fewer children than this are shown as "<5" (small-cell suppression).
SMALL_GROUP = 5
SMALL_MARK = f"<{SMALL_GROUP}"
# A part of a whole hidden because another part of it is small, or a rate drawn from hidden parts.
HIDDEN_MARK = "hidden"


@dataclass(frozen=True)
class Rate:
    """A column `name` = `part` / `whole`, shown as a percentage with one decimal."""

    name: str
    part: str
    whole: str


@dataclass(frozen=True)
class ChartSpec:
    """How a table is drawn: horizontal bars (stacked when several `values`) of the first
    `top` rows, or lines over `label` (trends)."""

    label: str
    values: tuple[str, ...]
    kind: str = "bars"  # "bars" | "lines"
    top: int = 15
    title: str = ""
    unit: str = "children"  # what the values count, on the value axis


@dataclass(frozen=True)
class ReportTable:
    key: str  # the table's name in URLs: /reports/<report>/<key>.csv
    title: str
    numbers: pd.DataFrame  # label columns, then counts and figures
    child_counts: tuple[str, ...] = ()  # columns counting children: the small-cell rule applies
    # groups of columns that add up to a whole shown beside them: one hidden hides them all
    parts: tuple[tuple[str, ...], ...] = ()
    rates: tuple[Rate, ...] = ()
    # (column, count column): a figure drawn from a group of children (a median of days) is
    # hidden with its count, since a group under 5 would show one child's dates
    stats: tuple[tuple[str, str], ...] = ()
    chart: ChartSpec | None = None
    note: str = ""  # how the figures are defined, shown under the table
    empty_message: str = "No children match these filters."

    @property
    def empty(self) -> bool:
        return self.numbers.empty

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.numbers.columns] + [r.name for r in self.rates]

    @property
    def numeric_columns(self) -> set[str]:
        return {
            str(name)
            for name, dtype in self.numbers.dtypes.items()
            if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        } | {r.name for r in self.rates}

    def shown(self) -> pd.DataFrame:
        """The table as people see it: small counts as "<5", the parts and rates they would
        give away as "hidden", rates as "12.5%"."""
        return shown_frame(self.numbers, self.child_counts, self.parts, self.rates, self.stats)

    def csv(self) -> str:
        return frame_csv(self.shown())


@dataclass(frozen=True)
class Figure:
    """A headline number of a report (with what it compares against, where known)."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Report:
    """What a report shows; its title and summary are its catalogue entry's."""

    tables: tuple[ReportTable, ...]
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = ()  # definitions and caveats, shown at the foot
    # a report with nothing to show says why (no run yet, no snapshots yet)
    empty_message: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.empty_message is not None or all(t.empty for t in self.tables)

    def table(self, key: str) -> ReportTable | None:
        return next((t for t in self.tables if t.key == key), None)


def is_small(count: object) -> bool:
    return isinstance(count, int | float) and 0 < count < SMALL_GROUP


def shown_frame(
    numbers: pd.DataFrame,
    child_counts: Sequence[str],
    parts: Sequence[Sequence[str]],
    rates: Sequence[Rate],
    stats: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """See `ReportTable.shown`."""
    rows = []
    for raw in numbers.to_dict("records"):
        row: dict[str, object] = {str(k): _plain(v) for k, v in raw.items()}
        hidden = {name for name in child_counts if is_small(row.get(name))}
        for group in parts:
            if hidden.intersection(group):
                hidden.update(group)
        for rate in rates:
            whole = row.get(rate.whole)
            if rate.part in hidden or rate.whole in hidden:
                row[rate.name] = HIDDEN_MARK
            elif not whole:
                row[rate.name] = ""
            else:
                row[rate.name] = f"{100 * float(row[rate.part]) / float(whole):.1f}%"  # type: ignore[arg-type]
        for name, count in stats:
            if count in hidden:
                row[name] = HIDDEN_MARK
        for name in hidden:
            row[name] = SMALL_MARK if is_small(row[name]) else HIDDEN_MARK
        rows.append(row)
    columns = [str(c) for c in numbers.columns] + [r.name for r in rates]
    return pd.DataFrame(rows, columns=columns)


def _plain(value: object) -> object:
    """numpy scalars as Python ones (ints stay ints), missing values as ""."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if hasattr(value, "item"):
        return value.item()
    return value


def rows_frame(rows: Iterable[Sequence[object]], columns: Sequence[str]) -> pd.DataFrame:
    """Result rows as a DataFrame with these columns. The rows are made plain tuples first:
    given SQLAlchemy `Row`s, pandas probes each one for attributes, which takes 15 times as
    long as building the frame (0.6 s for 50,000 rows)."""
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


def frame_csv(frame: pd.DataFrame) -> str:
    """A shown table as CSV, cells a spreadsheet would run as a formula neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([protect_cell(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()
