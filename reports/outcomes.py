"""Outcomes: what became of the cases the program placed, as attorneys (or coordinators) record
them when they close a case: by outcome, by court and by case type, and the share allowed to
stay against the published national figures with and without counsel."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.rules import CaseType
from models.entities import CaseOutcome, Child, Court, Language, Match, MatchStatus
from models.offers import OUTCOME_LABELS

from .filters import ReportFilters
from .reference import STAY_SOURCE
from .tables import ChartSpec, Figure, Report, ReportTable, is_small, rows_frame

CLOSED = "closed cases"
SHARE = "share"
NOT_RECORDED = "not recorded"  # a case closed before outcomes were recorded
# Column headings of the outcomes in the cross tables (the labels are too long for a heading).
HEADINGS: dict[CaseOutcome | None, str] = {o: o.value.replace("_", " ") for o in CaseOutcome}
HEADINGS[None] = NOT_RECORDED
# Outcomes a court decided, and those of them that let the child stay.
DECIDED = (
    CaseOutcome.RELIEF_GRANTED,
    CaseOutcome.TERMINATED,
    CaseOutcome.VOLUNTARY_DEPARTURE,
    CaseOutcome.REMOVAL_ORDERED,
)
STAYED = (CaseOutcome.RELIEF_GRANTED, CaseOutcome.TERMINATED)
STAYED_LABEL = "relief granted or terminated"

DEFINITIONS = (
    "Closed cases: cases an attorney accepted through the program and later closed with an "
    "outcome (in the attorney portal, or by a coordinator), one child each. The date range "
    "applies to the day the case was closed (in UTC); court, state, language and case type are "
    "the child's.",
    "Outcomes as recorded when a case is closed: "
    + "; ".join(label.lower() for label in OUTCOME_LABELS.values())
    + ".",
    f"{STAYED_LABEL.capitalize()}: cases where relief was granted or the proceedings were "
    "dismissed or terminated, as a share of the cases a court decided (relief granted, "
    "terminated, voluntary departure, removal ordered). Transferred and withdrawn cases ended "
    "without a decision while the program's attorney had them, so they are left out.",
    "The national figures are from TRAC report 371 (2014), over children's cases decided in "
    "immigration court with and without counsel; ours are the program's own closed cases, so "
    "they are a guide, not a like-for-like comparison.",
    "Groups of fewer than 5 children show as <5, and their share as hidden; where one outcome "
    "of a court or case type is under 5, its other outcomes are hidden too, since the closed "
    "cases less the shown outcomes would give it away.",
)


def outcomes_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    closed = _closed_cases(session, filters)
    if closed.empty:
        nothing = "under these filters." if filters.any else "yet."
        return Report(
            tables=(), notes=DEFINITIONS, empty_message=f"No case has been closed {nothing}"
        )
    order = _outcome_order(closed)
    return Report(
        tables=(
            _by_outcome(closed, order),
            _crossed(
                closed,
                order,
                key="by-court",
                title="Outcomes by court",
                by=("court", "court_name", "state"),
                headings=("court", "court name", "state"),
            ),
            _crossed(
                closed,
                order,
                key="by-case-type",
                title="Outcomes by case type",
                by=("case_type",),
                headings=("case type",),
            ),
        ),
        figures=_figures(closed),
        notes=DEFINITIONS,
    )


def _closed_cases(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """Closed cases of the filtered children, counted per court, case type and outcome."""
    dimensions = (Court.code, Court.name, Court.state, Child.case_type, Match.outcome)
    statement = (
        select(*dimensions, func.count())
        .join(Child, Child.id == Match.child_id)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(
            Match.status == MatchStatus.CLOSED,
            filters.in_range(Match.closed_at),
            *filters.child_conditions(with_dates=False),
        )
        .group_by(*dimensions)
    )
    frame = rows_frame(
        session.execute(statement),
        ["court", "court_name", "state", "case_type", "outcome", "cases"],
    )
    frame["case_type"] = frame["case_type"].map(lambda v: getattr(v, "value", v))
    frame["outcome"] = frame["outcome"].map(lambda v: None if v is None else CaseOutcome(v))
    frame["cases"] = frame["cases"].astype(int)
    return frame


def _outcome_order(closed: pd.DataFrame) -> list[CaseOutcome | None]:
    """Every outcome in the portal's order, then "not recorded" where a case has none."""
    order: list[CaseOutcome | None] = list(CaseOutcome)
    if closed["outcome"].isna().any():
        order.append(None)
    return order


def _count_of(closed: pd.DataFrame, outcomes: tuple[CaseOutcome, ...]) -> int:
    return int(closed.loc[closed["outcome"].isin(outcomes), "cases"].sum())


def _by_outcome(closed: pd.DataFrame, order: list[CaseOutcome | None]) -> ReportTable:
    total = int(closed["cases"].sum())
    counts: dict[CaseOutcome | None, int] = {
        o: int(closed.loc[closed["outcome"] == o, "cases"].sum()) for o in CaseOutcome
    }
    counts[None] = int(closed.loc[closed["outcome"].isna(), "cases"].sum())
    numbers = pd.DataFrame(
        [
            {
                "outcome": OUTCOME_LABELS[outcome] if outcome is not None else NOT_RECORDED,
                CLOSED: counts[outcome],
                SHARE: f"{100 * counts[outcome] / total:.1f}%",
            }
            for outcome in order
        ]
    )
    return ReportTable(
        key="by-outcome",
        title="Closed cases by outcome",
        numbers=numbers,
        child_counts=(CLOSED,),
        stats=((SHARE, CLOSED),),
        chart=ChartSpec(
            label="outcome", values=(CLOSED,), title="Closed cases by outcome", unit=CLOSED
        ),
        note="Share: of all closed cases in the table.",
    )


def _crossed(
    closed: pd.DataFrame,
    order: list[CaseOutcome | None],
    *,
    key: str,
    title: str,
    by: tuple[str, ...],
    headings: tuple[str, ...],
) -> ReportTable:
    """Closed cases per group (`by`) and outcome, one column per outcome."""
    outcome_columns = [HEADINGS[o] for o in order]
    named = closed["outcome"].map(lambda o: HEADINGS[None if pd.isna(o) else o])
    table = closed.assign(outcome=named).pivot_table(
        index=list(by), columns="outcome", values="cases", aggfunc="sum", fill_value=0
    )
    table = table.reindex(columns=outcome_columns, fill_value=0).reset_index()
    table.insert(len(by), CLOSED, table[outcome_columns].sum(axis=1))
    if by == ("case_type",):
        natural = [c.value for c in CaseType]
        table = table.sort_values("case_type", key=lambda s: s.map(natural.index))
    else:
        table = table.sort_values([CLOSED, by[0]], ascending=[False, True])
    table.columns.name = None
    numbers = table.rename(columns=dict(zip(by, headings, strict=True))).reset_index(drop=True)
    return ReportTable(
        key=key,
        title=title,
        numbers=numbers,
        child_counts=(CLOSED, *outcome_columns),
        parts=(tuple(outcome_columns),),
        chart=ChartSpec(
            label=headings[0],
            values=tuple(HEADINGS[o] for o in CaseOutcome),
            title=title,
            unit="closed cases",
        ),
    )


def _figures(closed: pd.DataFrame) -> tuple[Figure, ...]:
    total = int(closed["cases"].sum())
    decided = _count_of(closed, DECIDED)
    stayed = _count_of(closed, STAYED)
    if not decided:
        share = "none decided yet"
    elif is_small(stayed) or is_small(decided - stayed):
        share = "hidden"  # either count under 5 would give the other away
    else:
        share = f"{100 * stayed / decided:.1f}%"
    return (
        Figure(CLOSED, _count(total)),
        Figure(
            STAYED_LABEL,
            share,
            f"of {_count(decided)} closed cases a court decided — {STAY_SOURCE}",
        ),
    )


def _count(n: int) -> str:
    return "<5" if is_small(n) else f"{n:,}"
