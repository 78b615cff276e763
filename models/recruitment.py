"""Recruitment targets, kept per run: the engine's gain from one more attorney of each candidate
profile (matcher.recruitment), computed after a run for the children it left unmatched and
saved as a report snapshot (profiles and counts only, no child)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.recruitment import RecruitProfile, Target, WhatIf
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel, Tier

from .entities import MatchRun, ReportSnapshot, RunStatus, UnmatchedChild

RECRUITMENT_TARGETS = "recruitment_targets"


@dataclass(frozen=True)
class LatestRun:
    id: int
    as_of: date
    matched_per_tier: dict[str, int]
    unmatched_child_ids: tuple[int, ...]


def latest_run(session: Session) -> LatestRun | None:
    """The latest succeeded run and the children it left unmatched."""
    run = session.scalar(
        select(MatchRun)
        .where(MatchRun.status == RunStatus.SUCCEEDED)
        .order_by(MatchRun.id.desc())
        .limit(1)
    )
    if run is None:
        return None
    unmatched = session.scalars(
        select(UnmatchedChild.child_id)
        .where(UnmatchedChild.run_id == run.id)
        .order_by(UnmatchedChild.child_id)
    )
    return LatestRun(
        id=run.id,
        as_of=run.as_of,
        matched_per_tier=dict(run.matched_per_tier or {}),
        unmatched_child_ids=tuple(unmatched),
    )


def save_targets(
    session: Session, run: LatestRun, targets: Iterable[Target], seconds: float
) -> ReportSnapshot:
    """Add the run's recruitment targets as a snapshot."""
    snapshot = ReportSnapshot(
        kind=RECRUITMENT_TARGETS,
        data={
            "run_id": run.id,
            "as_of": run.as_of.isoformat(),
            "seconds": round(seconds, 2),
            "targets": [
                {
                    **profile_row(target.candidate.profile),
                    "unmatched_per_tier": tier_row(target.candidate.unmatched_per_tier),
                    **what_if_row(target.what_if),
                }
                for target in targets
            ],
        },
    )
    session.add(snapshot)
    return snapshot


def latest_targets(session: Session) -> ReportSnapshot | None:
    return session.scalar(
        select(ReportSnapshot)
        .where(ReportSnapshot.kind == RECRUITMENT_TARGETS)
        .order_by(ReportSnapshot.id.desc())
        .limit(1)
    )


def tier_row(counts: Mapping[Tier, int]) -> dict[str, int]:
    return {tier.name: int(counts.get(tier, 0)) for tier in Tier}


def profile_row(profile: RecruitProfile) -> dict[str, Any]:
    return {
        "court_id": profile.court_id,
        "language": profile.language,
        "case_type": profile.case_type.value,
        "takes_detained": profile.takes_detained,
        "slots": profile.slots,
        "language_level": profile.language_level.value,
        "expertise": profile.expertise.value,
    }


def profile_of(row: Mapping[str, Any]) -> RecruitProfile:
    return RecruitProfile(
        court_id=int(row["court_id"]),
        language=str(row["language"]),
        case_type=CaseType(row["case_type"]),
        takes_detained=bool(row["takes_detained"]),
        slots=int(row["slots"]),
        language_level=LanguageLevel(row["language_level"]),
        expertise=ExpertiseLevel(row["expertise"]),
    )


def what_if_row(found: WhatIf) -> dict[str, Any]:
    return {
        "gain_per_tier": tier_row(found.gain),
        "children_in_part": found.children,
        "attorneys_in_part": found.attorneys,
        "status": found.status.value,
    }
