"""Trends: the daily snapshots (models.snapshots) over time: children needing counsel, those
represented and the share represented, overall by day and by court from the first snapshot in
range to the latest.

A snapshot is what the records said on its day, so a trend never changes when a child's record
is corrected later. Snapshots hold no case type, so a case type filter cannot apply (the report
says so). Several snapshots on one day (a clock restarted) count as the latest of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Court, ReportSnapshot
from models.snapshots import DAILY_COUNTS

from .filters import ReportFilters
from .gap import NEEDING, REPRESENTED, SHARE, URGENT_TIERS, WITHOUT
from .reference import NATIONAL_REPRESENTED_SOURCE
from .tables import ChartSpec, Figure, Rate, Report, ReportTable, is_small

DAY = "snapshot date"
URGENT_WITHOUT = "urgent (T1, T2) without counsel"
CHANGE = "change in share (points)"
FIRST = "at first"
LATEST = "at latest"
COUNTS = ("with_counsel", "without_counsel")

DEFINITIONS = (
    "Each day the clock process counts the children needing counsel (an open case) and those of "
    "them an attorney has accepted (represented), by court, primary language and tier that day. "
    "This report reads those daily snapshots: a past day shows what the records said that day. "
    "Where a day has several snapshots, the latest counts.",
    "The date range applies to the snapshot's day; court, state and primary language narrow the "
    "counts. By court: the first and the latest snapshot in the date range; change: the latest "
    "share represented less the first, in percentage points. A court with no open child on a "
    "day counts 0 that day.",
    "Urgent: tiers T1 and T2 (a hearing within 30 days, a hearing date passed, or detained), "
    "on the snapshot's day.",
    "Groups of fewer than 5 children show as <5; where a part of a row is under 5, the other "
    "part, the share and the change are hidden too, since they would give it away.",
)
NO_CASE_TYPE = (
    "The case type filter does not apply to this report: the daily snapshots do not record case "
    "types, so these figures count every case type."
)


def trends_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    snapshots = _latest_per_day(session)
    in_range = {day: rows for day, rows in snapshots.items() if _within(day, filters)}
    notes = ((NO_CASE_TYPE,) if filters.case_type is not None else ()) + DEFINITIONS
    if len(in_range) < 2:
        return Report(
            tables=(), notes=notes, empty_message=_too_few(len(in_range), len(snapshots), filters)
        )
    days = sorted(in_range)
    counts = _filtered_counts(in_range, _court_places(session), filters)
    if counts.empty:
        return Report(tables=(), notes=notes, empty_message=_no_children(len(days), filters))
    overall = _overall(counts, days)
    return Report(
        tables=(overall, _by_court(counts, days[0], days[-1])),
        figures=_figures(overall.numbers),
        notes=notes,
    )


def _latest_per_day(session: Session) -> dict[date, list[dict[str, Any]]]:
    """The rows of each day's latest daily-counts snapshot, by day."""
    statement = (
        select(ReportSnapshot.data)
        .where(ReportSnapshot.kind == DAILY_COUNTS)
        .order_by(ReportSnapshot.taken_at, ReportSnapshot.id)
    )
    by_day: dict[date, list[dict[str, Any]]] = {}
    for data in session.scalars(statement):
        by_day[date.fromisoformat(data["as_of"])] = list(data["rows"])  # later ones win
    return by_day


def _within(day: date, filters: ReportFilters) -> bool:
    return (filters.date_from is None or day >= filters.date_from) and (
        filters.date_to is None or day <= filters.date_to
    )


def _court_places(session: Session) -> dict[str, tuple[str, str]]:
    """Court code -> (name, state), to name courts and apply the state filter."""
    rows = session.execute(select(Court.code, Court.name, Court.state)).all()
    return {code: (name, state) for code, name, state in rows}


def _filtered_counts(
    snapshots: Mapping[date, Iterable[dict[str, Any]]],
    courts: Mapping[str, tuple[str, str]],
    filters: ReportFilters,
) -> pd.DataFrame:
    """One row per snapshot row the filters keep: day, court (code, name, state), tier and the
    children with and without counsel."""
    kept = []
    for day, rows in snapshots.items():
        for row in rows:
            name, state = courts.get(row["court"], (row["court"], ""))
            if (
                (filters.court is None or row["court"] == filters.court)
                and (filters.state is None or state == filters.state)
                and (filters.language is None or row["language"] == filters.language)
            ):
                kept.append(
                    {
                        "day": day,
                        "court": row["court"],
                        "court_name": name,
                        "state": state,
                        "tier": int(row["tier"]),
                        "with_counsel": int(row["with_counsel"]),
                        "without_counsel": int(row["without_counsel"]),
                    }
                )
    columns = ["day", "court", "court_name", "state", "tier", *COUNTS]
    return pd.DataFrame(kept, columns=columns)


def _overall(counts: pd.DataFrame, days: list[date]) -> ReportTable:
    urgent = counts["without_counsel"].where(counts["tier"].isin(URGENT_TIERS), 0)
    grouped = (
        counts.assign(urgent=urgent)
        .groupby("day")[[*COUNTS, "urgent"]]
        .sum()
        .reindex(days, fill_value=0)  # a day on which the filters keep no child counts 0
    )
    numbers = pd.DataFrame(
        {
            DAY: [day.isoformat() for day in days],
            NEEDING: (grouped["with_counsel"] + grouped["without_counsel"]).to_list(),
            REPRESENTED: grouped["with_counsel"].to_list(),
            WITHOUT: grouped["without_counsel"].to_list(),
            URGENT_WITHOUT: grouped["urgent"].to_list(),
        }
    )
    return ReportTable(
        key="overall",
        title="Children needing counsel, by snapshot date",
        numbers=numbers,
        child_counts=(NEEDING, REPRESENTED, WITHOUT, URGENT_WITHOUT),
        parts=((REPRESENTED, WITHOUT),),
        rates=(Rate(SHARE, REPRESENTED, NEEDING),),
        chart=ChartSpec(
            label=DAY,
            values=(REPRESENTED, WITHOUT),
            kind="lines",
            title="Children represented and without counsel",
        ),
    )


def _at(column: str, which: str) -> str:
    return f"{column} {which}"


def _by_court(counts: pd.DataFrame, first: date, latest: date) -> ReportTable:
    ends = counts[counts["day"].isin((first, latest))]
    wide = ends.pivot_table(
        index=["court", "court_name", "state"],
        columns="day",
        values=list(COUNTS),
        aggfunc="sum",
        fill_value=0,
    )
    numbers = pd.DataFrame(index=wide.index).reset_index()
    for day, which in ((first, FIRST), (latest, LATEST)):
        represented = _column(wide, "with_counsel", day)
        without = _column(wide, "without_counsel", day)
        numbers[_at(NEEDING, which)] = represented + without
        numbers[_at(REPRESENTED, which)] = represented
        numbers[_at(WITHOUT, which)] = without
    share = {
        which: numbers[_at(REPRESENTED, which)]
        / numbers[_at(NEEDING, which)].where(lambda n: n > 0)
        for which in (FIRST, LATEST)
    }
    numbers[CHANGE] = (100 * (share[LATEST] - share[FIRST])).round(1)
    numbers = numbers.sort_values([_at(WITHOUT, LATEST), "court"], ascending=[False, True]).rename(
        columns={"court_name": "court name"}
    )
    ordered = [
        "court",
        "court name",
        "state",
        *(_at(c, w) for w in (FIRST, LATEST) for c in (NEEDING, REPRESENTED, WITHOUT)),
        CHANGE,
    ]
    return ReportTable(
        key="by-court",
        title=f"By court: {first.isoformat()} against {latest.isoformat()}",
        numbers=numbers[ordered].reset_index(drop=True),
        child_counts=tuple(
            _at(c, w) for w in (FIRST, LATEST) for c in (NEEDING, REPRESENTED, WITHOUT)
        ),
        parts=tuple((_at(REPRESENTED, w), _at(WITHOUT, w)) for w in (FIRST, LATEST)),
        rates=tuple(
            Rate(_at(SHARE, w), _at(REPRESENTED, w), _at(NEEDING, w)) for w in (FIRST, LATEST)
        ),
        stats=tuple((CHANGE, _at(REPRESENTED, w)) for w in (FIRST, LATEST)),
        chart=ChartSpec(
            label="court",
            values=(CHANGE,),
            title="Change in share represented, by court",
            unit="percentage points",
        ),
        note=(
            f"At first: the snapshot of {first.isoformat()}; at latest: that of "
            f"{latest.isoformat()}. A court missing from a snapshot had no open child that day."
        ),
    )


def _column(wide: pd.DataFrame, count: str, day: date) -> pd.Series:
    """One count of one day from the pivoted table (0 where the day has no row)."""
    if (count, day) in wide.columns:
        return wide[(count, day)].astype(int).reset_index(drop=True)
    return pd.Series(0, index=range(len(wide)), dtype=int)


def _figures(overall: pd.DataFrame) -> tuple[Figure, ...]:
    first, latest = overall.iloc[0], overall.iloc[-1]
    first_share, latest_share = _share(first), _share(latest)
    if first_share is None or latest_share is None:
        change = "hidden" if _hidden(first) or _hidden(latest) else "no children"
    else:
        change = f"{100 * (latest_share - first_share):+.1f} points"
    return (
        Figure(
            f"share represented on {latest[DAY]}",
            _percent(latest),
            f"{_percent(first)} on {first[DAY]}; {NATIONAL_REPRESENTED_SOURCE}",
        ),
        Figure("change in share represented", change, f"from {first[DAY]} to {latest[DAY]}"),
        Figure(
            f"{URGENT_WITHOUT} on {latest[DAY]}",
            _count(int(latest[URGENT_WITHOUT])),
            f"{_count(int(first[URGENT_WITHOUT]))} on {first[DAY]}",
        ),
    )


def _hidden(row: pd.Series) -> bool:
    return is_small(int(row[REPRESENTED])) or is_small(int(row[WITHOUT]))


def _share(row: pd.Series) -> float | None:
    """The day's share represented, None where hidden or there is no child."""
    if _hidden(row) or not int(row[NEEDING]):
        return None
    return int(row[REPRESENTED]) / int(row[NEEDING])


def _percent(row: pd.Series) -> str:
    share = _share(row)
    if share is None:
        return "hidden" if _hidden(row) else "no children"
    return f"{100 * share:.1f}%"


def _count(n: int) -> str:
    return "<5" if is_small(n) else f"{n:,}"


def _too_few(in_range: int, taken: int, filters: ReportFilters) -> str:
    """Why there is no trend: how many snapshots there are (and how many fall in the range)."""
    start = "A trend needs at least two daily snapshots, and "
    clock = " (the clock process takes one a day)."
    if not taken:
        return start + "none has been taken yet" + clock
    if filters.date_from is None and filters.date_to is None:
        return start + "1 has been taken so far" + clock
    found = "none" if not in_range else str(in_range)
    return start + f"{found} of the {taken} taken so far falls in this date range" + clock


def _no_children(days: int, filters: ReportFilters) -> str:
    under = "under these filters " if filters.any else ""
    return f"No child needed counsel {under}on any of the {days} daily snapshots in range."
