"""Trends: the daily report snapshots (models.snapshots, taken by the clock) over time: is the
gap closing, overall and court by court."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import ReportSnapshot
from models.snapshots import DAILY_COUNTS

from .filters import ReportFilters
from .names import CourtName, courts_by_id
from .tables import ChartSpec, Figure, Rate, Report, ReportTable, is_small

DAY = "day"
OPEN = "children needing counsel"
WITH = "with counsel"
WITHOUT = "without counsel"
URGENT_WITHOUT = "urgent (T1, T2) without counsel"
SHARE = "share represented"
FIRST, LATEST = "first day", "latest day"
CHANGE = "change, points"
MIN_SNAPSHOTS = 2

DEFINITIONS = (
    "Each point is the day's snapshot: the children with an open case, with counsel (an accepted "
    "offer) or without, by the tier they had that day. Where a day has several snapshots, the "
    "latest counts. The date range applies to the snapshot's day.",
    "By court: the share represented on the first and the latest day in the range, and the change "
    "in percentage points.",
    "Court, state and language (the child's primary language) filters apply; snapshots keep no "
    "case type, so a case type filter cannot apply here.",
    "Groups of fewer than 5 children show as <5, with the shares drawn from them hidden.",
)


def trends_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    rows = _snapshot_rows(session, filters)
    days = sorted(rows[DAY].unique()) if not rows.empty else []
    notes: tuple[str, ...] = DEFINITIONS
    if filters.case_type is not None:
        notes = ("The case type filter is left out: snapshots keep no case type.", *DEFINITIONS)
    if len(days) < MIN_SNAPSHOTS:
        return Report(
            tables=(),
            notes=notes,
            empty_message=(
                f"A trend needs daily snapshots on at least {MIN_SNAPSHOTS} days"
                + (" in this range" if filters.date_from or filters.date_to else "")
                + f"; there {'is' if len(days) == 1 else 'are'} {len(days)}. The clock takes one "
                "each day (the daily report snapshot job)."
            ),
        )
    overall = _overall(rows)
    return Report(
        tables=(overall, _by_court(rows, days[0], days[-1])),
        figures=_figures(overall.numbers),
        notes=notes,
    )


def _snapshot_rows(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """One row per (day, court, tier) of the latest snapshot of each day in range."""
    courts = {court.code: court for court in courts_by_id(session).values()}
    latest: dict[str, dict[str, Any]] = {}
    for data in session.scalars(
        select(ReportSnapshot.data)
        .where(ReportSnapshot.kind == DAILY_COUNTS)
        .order_by(ReportSnapshot.id)
    ):
        day = date.fromisoformat(data["as_of"])
        if (filters.date_from and day < filters.date_from) or (
            filters.date_to and day > filters.date_to
        ):
            continue
        latest[data["as_of"]] = data  # a later snapshot of the same day replaces it
    # Summed over languages as they are read (a snapshot has a row per court, language and
    # tier: some 100,000 rows in 30 days at 250,000 children), so the frame has a row per day,
    # court and tier.
    totals: dict[tuple[str, str, int], list[int]] = {}
    narrowed = filters.any
    for as_of, data in latest.items():
        for row in data["rows"]:
            code = row["court"]
            if narrowed and not (
                filters.court in (None, code)
                and (filters.state is None or _state(courts, code) == filters.state)
                and filters.language in (None, row["language"])
            ):
                continue
            counts = totals.setdefault((as_of, code, int(row["tier"])), [0, 0])
            counts[0] += int(row["with_counsel"])
            counts[1] += int(row["without_counsel"])
    labels = {code: court.label for code, court in courts.items()}
    records = [
        (day, labels.get(code, code), tier, with_counsel, without)
        for (day, code, tier), (with_counsel, without) in totals.items()
    ]
    return pd.DataFrame(records, columns=[DAY, "court", "tier", WITH, WITHOUT])


def _state(courts: dict[str, CourtName], code: str) -> str | None:
    court = courts.get(code)
    return court.state if court else None


def _overall(rows: pd.DataFrame) -> ReportTable:
    urgent = rows[rows["tier"] <= 2].groupby(DAY)[WITHOUT].sum()
    by_day = rows.groupby(DAY)[[WITH, WITHOUT]].sum()
    by_day[OPEN] = by_day[WITH] + by_day[WITHOUT]
    by_day[URGENT_WITHOUT] = urgent.reindex(by_day.index, fill_value=0)
    numbers = by_day.reset_index()[[DAY, OPEN, WITH, WITHOUT, URGENT_WITHOUT]]
    return ReportTable(
        key="overall",
        title="Children with and without counsel, day by day",
        numbers=numbers.astype({c: int for c in (OPEN, WITH, WITHOUT, URGENT_WITHOUT)}),
        child_counts=(OPEN, WITH, WITHOUT, URGENT_WITHOUT),
        parts=((WITH, WITHOUT),),
        rates=(Rate(SHARE, WITH, OPEN),),
        chart=ChartSpec(
            label=DAY,
            values=(WITHOUT, URGENT_WITHOUT, WITH),
            kind="lines",
            title="Children without counsel, urgent ones, and with counsel",
        ),
    )


def _by_court(rows: pd.DataFrame, first: str, latest: str) -> ReportTable:
    def at(day: str) -> pd.DataFrame:
        return rows[rows[DAY] == day].groupby("court")[[WITH, WITHOUT]].sum()

    start, end = at(first), at(latest)
    courts = sorted(set(start.index) | set(end.index))
    records = []
    for court in courts:
        record: dict[str, object] = {"court": court}
        for label, frame in ((FIRST, start), (LATEST, end)):
            with_counsel = int(frame[WITH].get(court, 0))
            without = int(frame[WITHOUT].get(court, 0))
            record[f"needing counsel, {label}"] = with_counsel + without
            record[f"with counsel, {label}"] = with_counsel
            record[f"without counsel, {label}"] = without
        record[CHANGE] = _points(record, LATEST) - _points(record, FIRST)
        records.append(record)
    numbers = pd.DataFrame(records)
    counts = tuple(
        f"{what}, {label}"
        for label in (FIRST, LATEST)
        for what in ("needing counsel", "with counsel", "without counsel")
    )
    return ReportTable(
        key="by-court",
        title=f"Share represented by court, {first} and {latest}",
        numbers=numbers,
        child_counts=counts,
        parts=tuple(
            (f"with counsel, {label}", f"without counsel, {label}") for label in (FIRST, LATEST)
        ),
        rates=(
            Rate(f"{SHARE}, {FIRST}", f"with counsel, {FIRST}", f"needing counsel, {FIRST}"),
            Rate(f"{SHARE}, {LATEST}", f"with counsel, {LATEST}", f"needing counsel, {LATEST}"),
        ),
        stats=tuple((CHANGE, count) for count in counts),
        chart=ChartSpec(
            label="court",
            values=(f"without counsel, {LATEST}",),
            title=f"Children without counsel by court, {latest}",
        ),
    )


def _points(record: dict[str, object], label: str) -> float:
    """The share represented on that day, in percent, to one decimal (0 with nobody)."""
    needing = int(record[f"needing counsel, {label}"])  # type: ignore[call-overload]
    with_counsel = int(record[f"with counsel, {label}"])  # type: ignore[call-overload]
    return round(100 * with_counsel / needing, 1) if needing else 0.0


def _figures(overall: pd.DataFrame) -> tuple[Figure, ...]:
    first, latest = overall.iloc[0], overall.iloc[-1]
    if any(is_small(int(row[c])) for row in (first, latest) for c in (OPEN, WITH, WITHOUT)):
        return (Figure("share represented", "hidden", "fewer than 5 children in a group"),)

    def share(row: pd.Series) -> float:
        return 100 * int(row[WITH]) / int(row[OPEN]) if int(row[OPEN]) else 0.0

    change = share(latest) - share(first)
    direction = "closing" if change > 0 else "widening" if change < 0 else "unchanged"
    return (
        Figure(
            f"share represented, {latest[DAY]}",
            f"{share(latest):.1f}%",
            f"{change:+.1f} points since {first[DAY]}: the gap is {direction}",
        ),
        Figure(
            f"urgent without counsel, {latest[DAY]}",
            "<5" if is_small(int(latest[URGENT_WITHOUT])) else f"{int(latest[URGENT_WITHOUT]):,}",
            f"{int(first[URGENT_WITHOUT]):,} on {first[DAY]}"
            if not is_small(int(first[URGENT_WITHOUT]))
            else "",
        ),
    )
