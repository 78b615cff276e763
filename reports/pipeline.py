"""Pipeline: how fast children move from intake to a first proposal, a confirmed offer and an
accepted case (median and 90th percentile days, by month of intake), and what becomes of the
proposals and offers (confirmation, rejection, decline and expiry rates, rejections' reasons)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models.entities import Child, Court, Language, Match, MatchStatus
from models.reasons import DECLINE_REASONS, REJECTION_REASONS, coded_label

from .filters import ReportFilters
from .tables import ChartSpec, Figure, Report, ReportTable, is_small

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
    children = _children_firsts(session, filters)
    matches = _match_fates(session, filters)
    if children.empty:
        return Report(tables=(), notes=DEFINITIONS, empty_message=_nothing(filters))
    return Report(
        tables=(
            _by_month(children),
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
        figures=_figures(children, matches),
        notes=DEFINITIONS,
    )


def _nothing(filters: ReportFilters) -> str:
    return "No child was taken in " + ("under these filters." if filters.any else "yet.")


def _children_firsts(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """One row per child taken in: intake date and the first time at each stage (or None)."""
    accepted_at = case((Match.status.in_(ACCEPTED_STATUSES), Match.answered_at))
    statement = (
        select(
            Child.intake_date,
            func.min(Match.created_at),
            func.min(Match.offered_at),
            func.min(accepted_at),
        )
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .outerjoin(Match, Match.child_id == Child.id)
        .where(*filters.child_conditions())
        .group_by(Child.id, Child.intake_date)
    )
    frame = pd.DataFrame(
        session.execute(statement).all(),
        columns=["intake", *(column for _stage, column, _heading in STAGES)],
    )
    frame["intake"] = pd.to_datetime(frame["intake"])
    for _stage, column, _heading in STAGES:
        when = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
        frame[column] = (when.dt.normalize() - frame["intake"]).dt.days.clip(lower=0)
    frame["month"] = frame["intake"].dt.strftime("%Y-%m")
    return frame


def _match_fates(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """Every match of the filtered children: whether a run proposed it, its status, whether it
    was offered, and its reason (kept only as a rejection's or decline's coded label, never the
    words added to it)."""
    statement = (
        select(Match.run_id.is_not(None), Match.status, Match.offered_at.is_not(None), Match.reason)
        .join(Child, Child.id == Match.child_id)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(*filters.child_conditions())
    )
    rows = session.execute(statement).all()
    frame = pd.DataFrame(rows, columns=["by_run", "status", "offered", "reason"])
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


def _days(values: pd.Series, quantile: float) -> int | None:
    """The quantile of whole days (one of the values: no interpolation), None for none."""
    known = values.dropna()
    return int(known.quantile(quantile, interpolation="nearest")) if len(known) else None


def _by_month(children: pd.DataFrame) -> ReportTable:
    rows = []
    for month, group in children.groupby("month", sort=True):
        row: dict[str, object] = {"intake month": month, TAKEN_IN: len(group)}
        for stage, column, heading in STAGES:
            row[stage] = int(group[column].notna().sum())
            row[f"median days to {heading}"] = _days(group[column], 0.5)
            row[f"90th percentile days to {heading}"] = _days(group[column], 0.9)
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
    counts = matches[column].value_counts()
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
    counts = matches[column].value_counts()
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


def _figures(children: pd.DataFrame, matches: pd.DataFrame) -> tuple[Figure, ...]:
    def share(fate: str, column: str) -> str:
        decided = matches[column].dropna()
        n = int((decided == fate).sum())
        if not len(decided) or is_small(n) or is_small(len(decided)):
            return "hidden" if len(decided) else "none yet"
        return f"{100 * n / len(decided):.1f}%"

    def median(column: str) -> str:
        known = children[column].dropna()
        if is_small(len(known)) or not len(known):
            return "hidden" if len(known) else "none yet"
        return f"{_days(known, 0.5)} days"

    return (
        Figure("median days from intake to an accepted case", median("first_acceptance")),
        Figure("proposals confirmed", share("confirmed", "proposal")),
        Figure("offers accepted", share("accepted", "offer")),
        Figure("offers expired unanswered", share("expired", "offer")),
    )
