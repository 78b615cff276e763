"""Outcomes: what happened to the cases we placed, as their attorneys recorded them on closing
(by outcome, by court and by case type), against the national figures with and without
counsel."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.explain import CASE_TYPE_NAMES
from models.entities import CaseOutcome, Child, Court, Language, Match, MatchStatus
from models.offers import OUTCOME_LABELS

from .filters import ReportFilters
from .reference import STAY_SOURCE, STAY_WITH_COUNSEL
from .tables import ChartSpec, Figure, Report, ReportTable, is_small

CLOSED = "closed cases"
SHARE = "share"
# Outcomes that let the child stay (relief, or proceedings ended): what the national figures count.
STAYING = (CaseOutcome.RELIEF_GRANTED, CaseOutcome.TERMINATED)
SHORT = {
    CaseOutcome.RELIEF_GRANTED: "relief granted",
    CaseOutcome.TERMINATED: "terminated",
    CaseOutcome.VOLUNTARY_DEPARTURE: "voluntary departure",
    CaseOutcome.REMOVAL_ORDERED: "removal ordered",
    CaseOutcome.TRANSFERRED: "transferred",
    CaseOutcome.WITHDRAWN: "withdrawn",
}
OUTCOME_COLUMNS = tuple(SHORT[outcome] for outcome in CaseOutcome)

DEFINITIONS = (
    "Closed cases: cases our volunteers accepted and then closed, with the outcome the attorney "
    "(or a coordinator) recorded. The date range applies to the day the case was closed; court, "
    "state, language and case type are the child's.",
    "Allowed to stay: relief granted (asylum, SIJS, T or U visa) or proceedings dismissed or "
    "terminated, as a share of the closed cases other than those transferred to other counsel or "
    "withdrawn (whose outcome is not known here).",
    f"Compared with: {STAY_SOURCE}.",
    "Groups of fewer than 5 cases show as <5; where one outcome of a row is under 5, the other "
    "outcomes of that row are hidden too.",
)


def outcomes_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    cases = _closed_cases(session, filters)
    if cases.empty:
        return Report(
            tables=(),
            notes=DEFINITIONS,
            empty_message="No case has been closed "
            + ("under these filters." if filters.any else "yet."),
        )
    return Report(
        tables=(
            _by_outcome(cases),
            _crossed(cases, "court", "by-court", "Closed cases by court and outcome"),
            _crossed(cases, "case type", "by-case-type", "Closed cases by case type and outcome"),
        ),
        figures=_figures(cases),
        notes=DEFINITIONS,
    )


def _closed_cases(session: Session, filters: ReportFilters) -> pd.DataFrame:
    rows = session.execute(
        select(Match.outcome, Court.city, Court.code, Child.case_type)
        .join(Child, Child.id == Match.child_id)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(
            Match.status == MatchStatus.CLOSED,
            Match.outcome.is_not(None),
            filters.in_range(Match.closed_at),
            *filters.child_conditions(with_dates=False),
        )
    ).all()
    return pd.DataFrame(
        [
            (SHORT[outcome], f"{city} ({code})", CASE_TYPE_NAMES[case_type])
            for outcome, city, code, case_type in rows
            if outcome is not None
        ],
        columns=["outcome", "court", "case type"],
    )


def _by_outcome(cases: pd.DataFrame) -> ReportTable:
    counts = cases["outcome"].value_counts()
    total = len(cases)
    labels = {SHORT[o]: OUTCOME_LABELS[o] for o in CaseOutcome}
    numbers = pd.DataFrame(
        [
            {
                "outcome": labels[short],
                CLOSED: int(counts.get(short, 0)),
                SHARE: f"{100 * int(counts.get(short, 0)) / total:.1f}%",
            }
            for short in OUTCOME_COLUMNS
        ]
    )
    return ReportTable(
        key="by-outcome",
        title="Closed cases by outcome",
        numbers=numbers,
        child_counts=(CLOSED,),
        stats=((SHARE, CLOSED),),
        chart=ChartSpec(
            label="outcome", values=(CLOSED,), title="Closed cases by outcome", unit="cases"
        ),
    )


def _crossed(cases: pd.DataFrame, by: str, key: str, title: str) -> ReportTable:
    table = pd.crosstab(cases[by], cases["outcome"]).reindex(
        columns=list(OUTCOME_COLUMNS), fill_value=0
    )
    table[CLOSED] = table.sum(axis=1)
    numbers = (
        table.reset_index()
        .sort_values([CLOSED, by], ascending=[False, True])
        .reset_index(drop=True)
    )
    numbers.columns = [str(c) for c in numbers.columns]
    return ReportTable(
        key=key,
        title=title,
        numbers=numbers[[by, *OUTCOME_COLUMNS, CLOSED]],
        child_counts=(*OUTCOME_COLUMNS, CLOSED),
        parts=((*OUTCOME_COLUMNS, CLOSED),),
        chart=ChartSpec(label=by, values=OUTCOME_COLUMNS, title=title, unit="cases"),
        note="Most closed cases first.",
    )


def _figures(cases: pd.DataFrame) -> tuple[Figure, ...]:
    known = cases[
        ~cases["outcome"].isin([SHORT[CaseOutcome.TRANSFERRED], SHORT[CaseOutcome.WITHDRAWN]])
    ]
    staying = int(known["outcome"].isin([SHORT[o] for o in STAYING]).sum())
    if not len(known):
        share = "none yet"
    elif is_small(staying) or is_small(len(known) - staying) or is_small(len(known)):
        share = "hidden"
    else:
        share = f"{100 * staying / len(known):.0f}%"
    closed = len(cases)
    return (
        Figure("closed cases", "<5" if is_small(closed) else f"{closed:,}"),
        Figure(
            "allowed to stay",
            share,
            f"nationally {STAY_WITH_COUNSEL:.0%} of children with counsel (TRAC 371)",
        ),
    )
