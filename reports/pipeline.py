"""Pipeline: how fast children move from intake to a first proposal, a confirmed offer and an
accepted case (median and 90th percentile days, by month of intake), and what becomes of the
proposals and offers (confirmation, rejection, decline and expiry rates, rejections' reasons)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import String, case, extract, func, literal, select, union_all
from sqlalchemy.orm import Session

from models.entities import Child, Match, MatchStatus
from models.queries import days_after
from models.reasons import DECLINE_REASONS, REJECTION_REASONS, coded_label

from .filters import ReportFilters
from .tables import ChartSpec, Figure, Report, ReportTable, is_small, rows_frame

TAKEN_IN = "children taken in"
# (stage, the column of the child's first time there, its heading)
STAGES = (
    ("proposed", "first_proposal", "first proposal"),
    ("offered", "first_offer", "confirmation"),
    ("accepted", "first_acceptance", "acceptance"),
)
ACCEPTED_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.CLOSED)

# What became of a proposal a run made (in the order shown), and of an offer.
PROPOSAL_FATES = ("confirmed", "rejected", "replaced by a later run", "awaiting review")
OFFER_FATES = ("accepted", "declined", "expired", "withdrawn or reset", "awaiting an answer")
COUNT = "count"
SHARE = "share"

DEFINITIONS = (
    "Children are counted by the month they were taken in (intake date); the date range applies "
    "to the intake date.",
    "Days to first proposal: from intake to the first time a run (or a coordinator) proposed an "
    "attorney; to confirmation: to the first offer a coordinator confirmed; to acceptance: to the "
    "first offer an attorney accepted. Medians and 90th percentiles are over the children who got "
    "there; a child who got there first before intake counts as 0 days.",
    "Proposals: those made by matching runs. Confirmed: a coordinator sent the offer; rejected: a "
    "coordinator turned the proposal down; replaced: a later run proposed again before anyone "
    "reviewed it.",
    "Reasons are counted by the reason chosen from the list (a rejection's or a decline's); the "
    "words a coordinator or attorney added may name a child, so they are never shown here; each "
    "match's page shows them to coordinators. Reasons written before the list existed count as "
    "Other.",
    "Groups of fewer than 5 show as <5, and their days as hidden.",
)


def pipeline_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    taken_in = _taken_in(session, filters)
    days = _days_to_stages(session, filters)
    matches = _match_fates(session, filters)
    if taken_in.empty:
        return Report(tables=(), notes=DEFINITIONS, empty_message=_nothing(filters))
    return Report(
        tables=(
            _by_month(taken_in, days),
            _fates("proposals", "What became of the runs' proposals", matches, "proposal"),
            _fates("offers", "What became of the offers", matches, "offer"),
            _reasons(
                "rejection-reasons",
                "Why coordinators rejected proposals",
                matches,
                "rejection",
                "proposals",
            ),
            _reasons(
                "decline-reasons", "Why attorneys declined offers", matches, "decline", "offers"
            ),
        ),
        figures=_figures(days, matches),
        notes=DEFINITIONS,
    )


def _nothing(filters: ReportFilters) -> str:
    return "No child was taken in " + ("under these filters." if filters.any else "yet.")


def _month(frame: pd.DataFrame) -> pd.Series:
    """The intake month ("2026-09") of rows with integer `year` and `month` columns."""
    return frame["year"].astype(int).map("{:04d}".format) + frame["month"].astype(int).map(
        "-{:02d}".format
    )


def _taken_in(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """Children taken in, per intake month (column `children`)."""
    year, month = extract("year", Child.intake_date), extract("month", Child.intake_date)
    statement = filters.on_children(select(year, month, func.count()))
    frame = rows_frame(
        session.execute(statement.group_by(year, month)), ["year", "month", "children"]
    )
    return frame.assign(month=_month(frame))[["month", "children"]]


def _days_to_stages(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """How many children got to each stage how many whole days after intake, per intake month
    (columns stage, month, days, children): counted in SQL, so that the rows read are a few
    thousand whatever the number of children. A first time before intake counts as 0 days."""
    accepted_at = case((Match.status.in_(ACCEPTED_STATUSES), Match.answered_at))
    firsts = filters.on_children(
        select(
            Child.intake_date.label("intake"),
            func.min(Match.created_at).label("proposed"),
            func.min(Match.offered_at).label("offered"),
            func.min(accepted_at).label("accepted"),
        ).join(Match, Match.child_id == Child.id)
    ).group_by(Child.id, Child.intake_date)
    first_times = firsts.cte("first_times")
    year, month = extract("year", first_times.c.intake), extract("month", first_times.c.intake)
    counts = []
    for stage, _column, _heading in STAGES:
        first = first_times.c[stage]
        days = days_after(first_times.c.intake, first)
        counts.append(
            select(literal(stage, String), year, month, days, func.count())
            .where(first.is_not(None))
            .group_by(year, month, days)
        )
    frame = rows_frame(
        session.execute(union_all(*counts)), ["stage", "year", "month", "days", "children"]
    )
    frame["days"] = frame["days"].astype(int).clip(lower=0)
    return frame.assign(month=_month(frame))[["stage", "month", "days", "children"]]


def _each_child(days: pd.DataFrame) -> NDArray[np.int64]:
    """The days of each child counted in `days` (a day repeated as many times as children)."""
    return np.repeat(days["days"].to_numpy(np.int64), days["children"].to_numpy(np.int64))


def _match_fates(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """The matches of the filtered children, counted (column `n`) by whether a run proposed
    them, their status, whether they were offered and their reason (kept only as a rejection's
    or decline's coded label, never the words added to it)."""
    by_run, offered = Match.run_id.is_not(None), Match.offered_at.is_not(None)
    keys = (by_run, Match.status, offered, Match.reason)
    statement = filters.on_children(
        select(*keys, func.count()).join(Child, Child.id == Match.child_id)
    )
    frame = rows_frame(
        session.execute(statement.group_by(*keys)), ["by_run", "status", "offered", "reason", "n"]
    )
    frame["proposal"] = [
        _proposal_fate(status, offered) if by_run else None
        for by_run, status, offered in zip(
            frame["by_run"], frame["status"], frame["offered"], strict=True
        )
    ]
    frame["offer"] = [
        _offer_fate(status) if offered else None
        for status, offered in zip(frame["status"], frame["offered"], strict=True)
    ]
    frame["rejection"] = [
        coded_label(reason, REJECTION_REASONS)
        if status == MatchStatus.REJECTED and not offered
        else None
        for status, offered, reason in zip(
            frame["status"], frame["offered"], frame["reason"], strict=True
        )
    ]
    frame["decline"] = [
        coded_label(reason, DECLINE_REASONS) if status == MatchStatus.DECLINED else None
        for status, reason in zip(frame["status"], frame["reason"], strict=True)
    ]
    return frame.drop(columns=["reason"])


def _proposal_fate(status: MatchStatus, offered: bool) -> str:
    if offered:
        return "confirmed"
    return {
        MatchStatus.REJECTED: "rejected",
        MatchStatus.SUPERSEDED: "replaced by a later run",
        MatchStatus.PROPOSED: "awaiting review",
    }.get(status, "awaiting review")


def _offer_fate(status: MatchStatus) -> str:
    return {
        MatchStatus.ACCEPTED: "accepted",
        MatchStatus.CLOSED: "accepted",
        MatchStatus.DECLINED: "declined",
        MatchStatus.EXPIRED: "expired",
        MatchStatus.CONFIRMED: "awaiting an answer",
    }.get(status, "withdrawn or reset")


def _days(values: NDArray[np.int64], quantile: float) -> int | None:
    """The quantile of whole days (one of the values: no interpolation), None for none."""
    return int(np.quantile(values, quantile, method="nearest")) if len(values) else None


def _by_month(taken_in: pd.DataFrame, days: pd.DataFrame) -> ReportTable:
    each_child = {key: _each_child(group) for key, group in days.groupby(["stage", "month"])}
    nobody = np.array([], dtype=np.int64)
    rows = []
    for month, children in taken_in.groupby("month", sort=True)["children"].sum().items():
        row: dict[str, object] = {"intake month": month, TAKEN_IN: int(children)}
        for stage, _column, heading in STAGES:
            got_there = each_child.get((stage, month), nobody)
            row[stage] = len(got_there)
            row[f"median days to {heading}"] = _days(got_there, 0.5)
            row[f"90th percentile days to {heading}"] = _days(got_there, 0.9)
        rows.append(row)
    numbers = pd.DataFrame(rows)
    stats = tuple(
        (f"{which} days to {heading}", stage)
        for stage, _column, heading in STAGES
        for which in ("median", "90th percentile")
    )
    return ReportTable(
        key="by-month",
        title="Days from intake, by month of intake",
        numbers=numbers,
        child_counts=(TAKEN_IN, *(stage for stage, _c, _h in STAGES)),
        stats=stats,
        chart=ChartSpec(
            label="intake month",
            values=tuple(f"median days to {heading}" for _s, _c, heading in STAGES),
            kind="lines",
            title="Median days from intake",
            unit="days",
        ),
        note="proposed, offered, accepted: children of the month who got there (so far).",
    )


def _fates(key: str, title: str, matches: pd.DataFrame, column: str) -> ReportTable:
    order = PROPOSAL_FATES if column == "proposal" else OFFER_FATES
    counts = matches.groupby(column)["n"].sum()
    total = int(counts.sum())
    numbers = pd.DataFrame(
        [
            {
                column: fate,
                COUNT: int(counts.get(fate, 0)),
                SHARE: f"{100 * int(counts.get(fate, 0)) / total:.1f}%" if total else "",
            }
            for fate in order
        ]
    )
    return ReportTable(
        key=key,
        title=title,
        numbers=numbers if total else numbers.iloc[0:0],
        child_counts=(COUNT,),
        stats=((SHARE, COUNT),),
        chart=ChartSpec(label=column, values=(COUNT,), title=title, unit=f"{column}s"),
        empty_message=f"No {column} yet under these filters.",
    )


def _reasons(key: str, title: str, matches: pd.DataFrame, column: str, unit: str) -> ReportTable:
    counts = matches.groupby(column)["n"].sum()
    total = int(counts.sum())
    count = f"{column}s"
    numbers = pd.DataFrame(
        [
            {"reason": label, count: int(n), SHARE: f"{100 * int(n) / total:.1f}%"}
            for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        columns=["reason", count, SHARE],
    )
    return ReportTable(
        key=key,
        title=title,
        numbers=numbers,
        child_counts=(count,),
        stats=((SHARE, count),),
        chart=ChartSpec(
            label="reason", values=(count,), title=f"{count.capitalize()} by reason", unit=unit
        ),
        empty_message=f"No {column} under these filters.",
    )


def _figures(days: pd.DataFrame, matches: pd.DataFrame) -> tuple[Figure, ...]:
    def share(fate: str, column: str) -> str:
        decided = matches[matches[column].notna()]
        total = int(decided["n"].sum())
        n = int(decided.loc[decided[column] == fate, "n"].sum())
        if not total or is_small(n) or is_small(total):
            return "hidden" if total else "none yet"
        return f"{100 * n / total:.1f}%"

    def median(stage: str) -> str:
        known = _each_child(days[days["stage"] == stage])
        if is_small(len(known)) or not len(known):
            return "hidden" if len(known) else "none yet"
        return f"{_days(known, 0.5)} days"

    return (
        Figure("median days from intake to an accepted case", median("accepted")),
        Figure("proposals confirmed", share("confirmed", "proposal")),
        Figure("offers accepted", share("accepted", "offer")),
        Figure("offers expired unanswered", share("expired", "offer")),
    )
