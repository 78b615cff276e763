"""Capacity against demand: per court and primary language, the latest run's unmatched children
and why, against the attorneys eligible for them and their free slots (matcher.demand, saved
with each run by models.demand)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from matcher.rules import Tier
from models.demand import latest_demand
from models.entities import MatchRun
from models.reasons import reason_label

from .filters import ReportFilters
from .names import courts_by_id, language_names
from .tables import ChartSpec, Figure, Report, ReportTable, is_small

TIERS = tuple(tier.name for tier in Tier)
URGENT = ("T1", "T2")
UNMATCHED = "unmatched"
URGENT_UNMATCHED = "urgent unmatched"
ELIGIBLE = "eligible attorneys"
FREE = "their free slots"
FREE_AFTER = "free after the run"

NO_RUN = (
    "No matching run has recorded its unmatched children yet: this report fills in after the "
    "next run (the nightly run, or Runs → Run the matcher now)."
)
DEFINITIONS = (
    "Unmatched: children the latest run left without a proposal, by the tier they had that day. "
    "The date range does not apply: this report is about the latest run.",
    "Eligible attorneys: those who serve the court, speak the language well enough (or through an "
    "interpreter), cover the case type, take detained cases if needed and are not on leave, for "
    "at least one of the group's children: the engine's own rules. A child's own conflicts and "
    "past refusals are not subtracted.",
    "Free slots: capacity less active cases and confirmed offers, on the day of the run; "
    "left after the run: less that run's proposals.",
    "Groups of fewer than 5 children show as <5; where one tier of a row is under 5, the other "
    "tiers of that row are hidden too.",
)


def capacity_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    snapshot = latest_demand(session)
    if snapshot is None:
        return Report(tables=(), empty_message=NO_RUN)
    run = session.get(MatchRun, snapshot.data["run_id"])
    groups = _groups(session, snapshot.data["groups"], filters)
    run_line = f"Latest run: #{snapshot.data['run_id']}" + (
        f", as of {run.as_of.isoformat()}" if run is not None else ""
    )
    return Report(
        tables=(_by_court_language(groups), _by_reason(groups)),
        figures=_figures(groups),
        notes=(run_line + ".", *DEFINITIONS),
    )


def _groups(session: Session, rows: list[dict[str, Any]], filters: ReportFilters) -> pd.DataFrame:
    """The snapshot's groups under the filters, with court and language names: one row per
    court and language (per court, language and case type under a case-type filter)."""
    wanted_type = filters.case_type.value if filters.case_type is not None else None
    courts = courts_by_id(session)
    languages = language_names(session)
    records = []
    for row in rows:
        court = courts.get(row["court_id"])
        if row["case_type"] != wanted_type or court is None:
            continue
        code, state = court.code, court.state
        if filters.court not in (None, code) or filters.state not in (None, state):
            continue
        if filters.language not in (None, row["language"]):
            continue
        per_tier = row["unmatched_per_tier"]
        language = languages.get(row["language"], row["language"])
        records.append(
            {
                "court and language": f"{court.label}, {language}",
                "court": code,
                "language": language,
                **{tier: int(per_tier.get(tier, 0)) for tier in TIERS},
                UNMATCHED: sum(int(n) for n in per_tier.values()),
                "reasons": row["reasons"],
                ELIGIBLE: int(row["eligible_attorneys"]),
                FREE: int(row["free_slots"]),
                FREE_AFTER: int(row["free_slots_after_run"]),
            }
        )
    columns = ["court and language", "court", "language", *TIERS, UNMATCHED, "reasons"]
    frame = pd.DataFrame(records, columns=[*columns, ELIGIBLE, FREE, FREE_AFTER])
    frame[URGENT_UNMATCHED] = frame[list(URGENT)].sum(axis=1)
    return frame.sort_values(
        [URGENT_UNMATCHED, ELIGIBLE, UNMATCHED, "court and language"],
        ascending=[False, True, False, True],
    ).reset_index(drop=True)


def _main_reason(reasons: dict[str, int]) -> str:
    """The reason most of the group's children were given (ties: the first in label order)."""
    if not reasons:
        return ""
    reason = min(reasons, key=lambda r: (-int(reasons[r]), reason_label(r)))
    return reason_label(reason)


def _by_court_language(groups: pd.DataFrame) -> ReportTable:
    numbers = groups.assign(**{"main reason": groups["reasons"].map(_main_reason)})
    numbers = numbers[
        [
            "court and language",
            *TIERS,
            URGENT_UNMATCHED,
            UNMATCHED,
            "main reason",
            ELIGIBLE,
            FREE,
            FREE_AFTER,
        ]
    ]
    return ReportTable(
        key="by-court-language",
        title="Unmatched children against eligible attorneys, by court and language",
        numbers=numbers,
        child_counts=(*TIERS, URGENT_UNMATCHED, UNMATCHED),
        parts=(TIERS, URGENT),
        chart=ChartSpec(
            label="court and language",
            values=URGENT,
            title="Urgent unmatched children, by court and language",
        ),
        note="Urgent first, then the groups with the fewest eligible attorneys.",
        empty_message="The latest run left no child unmatched under these filters.",
    )


def _by_reason(groups: pd.DataFrame) -> ReportTable:
    totals: dict[str, int] = {}
    for reasons in groups["reasons"]:
        for reason, count in reasons.items():
            totals[reason] = totals.get(reason, 0) + int(count)
    rows: list[tuple[str, int]] = sorted(
        ((reason_label(reason), count) for reason, count in totals.items()),
        key=lambda row: (-row[1], row[0]),
    )
    numbers = pd.DataFrame(
        rows,
        columns=["reason", UNMATCHED],
    )
    return ReportTable(
        key="by-reason",
        title="Unmatched children by reason",
        numbers=numbers,
        child_counts=(UNMATCHED,),
        chart=ChartSpec(label="reason", values=(UNMATCHED,), title="Unmatched by reason"),
        note="The first of the engine's filters that left each child without an attorney.",
        empty_message="The latest run left no child unmatched under these filters.",
    )


def _figures(groups: pd.DataFrame) -> tuple[Figure, ...]:
    urgent = groups[groups[URGENT_UNMATCHED] > 0]
    stranded = urgent[urgent[ELIGIBLE] == 0]
    full = urgent[(urgent[ELIGIBLE] > 0) & (urgent[FREE_AFTER] == 0)]

    def children(n: int) -> str:
        return "<5" if is_small(n) else f"{n:,}"

    return (
        Figure("unmatched at the latest run", children(int(groups[UNMATCHED].sum()))),
        Figure("of them urgent (T1, T2)", children(int(groups[URGENT_UNMATCHED].sum()))),
        Figure(
            "court and language groups with urgent children and no eligible attorney",
            f"{len(stranded):,}",
            "recruit there: nobody can take them",
        ),
        Figure(
            "groups with urgent children whose eligible attorneys are full",
            f"{len(full):,}",
            "ask those attorneys for more capacity",
        ),
    )
