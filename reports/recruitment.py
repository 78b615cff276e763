"""Recruitment targets: whom to recruit next, and what it would change, as the engine finds when
it solves again with that attorney (matcher.recruitment; computed after each run and kept by
models.recruitment), and the lead's own "what if we recruit these" on the same engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from matcher.explain import CASE_TYPE_NAMES
from matcher.recruitment import RecruitProfile, WhatIf, what_if
from matcher.rules import Tier
from models.engine_adapter import load_problem
from models.recruitment import latest_run, latest_targets, profile_of
from models.settings import solver_time_limit_s

from .filters import ReportFilters
from .names import CourtName, courts_by_id, language_names
from .tables import ChartSpec, Figure, Report, ReportTable

TIERS = tuple(tier.name for tier in Tier)
GAINS = tuple(f"gain {tier}" for tier in TIERS)
WAITING = tuple(f"unmatched {tier}" for tier in TIERS)
PROFILE = "recruit"
TOTAL_GAIN = "children matched in all"

NO_TARGETS = (
    "No recruitment targets yet: they are worked out after each matching run (the nightly run, "
    "or `counselmatch recruitment-targets`)."
)
DEFINITIONS = (
    "A recruit lists one court (admitted in its state), speaks the language fluently and is "
    "experienced in the case type, with the slots shown and no cases yet; one who takes detained "
    "cases where detained children of the group wait. Candidates are the court, primary language "
    "and case type groups of the children the latest run left unmatched, the most urgent first.",
    "Gain: how many more children per tier the engine matches when it solves again with that "
    "one attorney added, against the same problem without: not an estimate. It may be negative in "
    "a lower tier when the engine moves an attorney to a more urgent child. It is worked out on "
    "the children and attorneys the recruit can reach through eligibility and siblings; the rest "
    "of the program cannot change.",
    "Gains are what the engine would do, bounded by the recruit's slots, and are shown as they "
    "are; the unmatched children of each group follow the rule that groups of fewer than 5 show "
    "as <5.",
    "The date range does not apply: targets are about the latest run. Court, state, language and "
    "case type filters keep the recruits of that court, state, language and case type.",
)


@dataclass(frozen=True)
class Named:
    """How a recruit profile is shown."""

    courts: Mapping[int, CourtName]
    languages: Mapping[str, str]

    def profile(self, profile: RecruitProfile) -> str:
        court = self.courts.get(profile.court_id)
        where = court.label if court else f"court {profile.court_id}"
        language = self.languages.get(profile.language, profile.language)
        detained = ", detained cases" if profile.takes_detained else ""
        return (
            f"{where}, {language}, {CASE_TYPE_NAMES[profile.case_type]}{detained}, "
            f"{profile.slots} slots"
        )


def named(session: Session) -> Named:
    return Named(courts_by_id(session), language_names(session))


def recruitment_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    snapshot = latest_targets(session)
    if snapshot is None:
        return Report(tables=(), empty_message=NO_TARGETS)
    data = snapshot.data
    if not data["targets"]:
        return Report(
            tables=(),
            empty_message=f"Run #{data['run_id']} left no child unmatched: nobody to recruit for.",
        )
    names = named(session)
    rows = [row for row in data["targets"] if _kept(row, filters, names.courts)]
    run_line = (
        f"Targets of run #{data['run_id']} (as of {data['as_of']}), {len(data['targets'])} "
        f"candidates solved again in {data['seconds']:.1f} s."
    )
    table = _targets(rows, names)
    return Report(
        tables=(table,),
        figures=_figures(table.numbers),
        notes=(run_line, *DEFINITIONS),
        extra={"run_id": data["run_id"], "profiles": [profile_of(row) for row in rows]},
    )


def _kept(row: Mapping[str, Any], filters: ReportFilters, courts: Mapping[int, CourtName]) -> bool:
    court = courts.get(int(row["court_id"]))
    return (
        filters.court in (None, court.code if court else None)
        and filters.state in (None, court.state if court else None)
        and filters.language in (None, row["language"])
        and (filters.case_type is None or filters.case_type.value == row["case_type"])
    )


def _targets(rows: Sequence[Mapping[str, Any]], names: Named) -> ReportTable:
    records = []
    for rank, row in enumerate(rows, start=1):
        profile = profile_of(row)
        gains = [int(row["gain_per_tier"][tier]) for tier in TIERS]
        records.append(
            {
                "rank": rank,
                PROFILE: names.profile(profile),
                **dict(zip(GAINS, gains, strict=True)),
                TOTAL_GAIN: sum(gains),
                **{
                    waiting: int(row["unmatched_per_tier"][tier])
                    for waiting, tier in zip(WAITING, TIERS, strict=True)
                },
            }
        )
    numbers = pd.DataFrame(records, columns=["rank", PROFILE, *GAINS, TOTAL_GAIN, *WAITING])
    return ReportTable(
        key="targets",
        title="Whom to recruit next: the engine's gain from one more attorney",
        numbers=numbers,
        child_counts=WAITING,
        chart=ChartSpec(
            label=PROFILE,
            values=GAINS,
            title="Children the engine then matches, by tier",
            top=10,
        ),
        note="More T1 children first, then T2, T3, T4. unmatched T1-T4: the group's children "
        "the latest run left unmatched.",
        empty_message="No recruitment target under these filters.",
    )


def _figures(targets: pd.DataFrame) -> tuple[Figure, ...]:
    if targets.empty:
        return ()
    best = targets.iloc[0]
    urgent = int(best["gain T1"]) + int(best["gain T2"])
    return (
        Figure("recruit first", str(best[PROFILE])),
        Figure(
            "urgent children (T1, T2) that recruit lets the engine match",
            f"{urgent:,}",
            f"{int(best[TOTAL_GAIN]):,} children in all",
        ),
    )


# --- what if we recruit these ----------------------------------------------------------------

MAX_RECRUITS = 5


@dataclass(frozen=True)
class WhatIfAnswer:
    run_id: int
    as_of: date
    found: WhatIf
    table: ReportTable


def answer_what_if(session: Session, profiles: Sequence[RecruitProfile]) -> WhatIfAnswer | None:
    """The engine's tier counts with these recruits, against the latest run's: None when no
    run has succeeded yet. Solved as of that run's day, on today's children and attorneys."""
    if not 1 <= len(profiles) <= MAX_RECRUITS:
        raise ValueError(f"say which attorneys to recruit: 1 to {MAX_RECRUITS}")
    run = latest_run(session)
    if run is None:
        return None
    problem = load_problem(session, run.as_of)
    found = what_if(problem, profiles, time_limit_s=solver_time_limit_s(session))
    gain = found.gain
    records = [
        {
            "tier": tier.name,
            "matched by the latest run": int(run.matched_per_tier.get(tier.name, 0)),
            "with these recruits": int(run.matched_per_tier.get(tier.name, 0)) + gain[tier],
            "gain": gain[tier],
        }
        for tier in Tier
    ]
    table = ReportTable(
        key="what-if",
        title="What these recruits would change",
        numbers=pd.DataFrame(records),
        note="The engine's tier counts for the whole program, as the runs page shows them.",
    )
    return WhatIfAnswer(run.id, run.as_of, found, table)
