"""Why children are left unmatched, as coordinators read it (DESIGN.md "Explanations").

The runs store one UnmatchedChild row per child left without a proposal: a reason code, a one-line
detail and the attorney counts after each filter. This module names the reasons, sums them per
reason and per court and language ("Houston, Mam: 7 urgent children, 0 eligible attorneys"), and
says for each attorney the engine found closest why they did not get the child, so a coordinator
knows whom to ask. Every function reads with a fixed number of queries, however many rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.explain import CASE_TYPE_NAMES
from matcher.failures import (
    CapacityFailure,
    ConflictFailure,
    CourtFailure,
    DetainedFailure,
    ExpertiseFailure,
    LanguageFailure,
    LeaveFailure,
    PairJudge,
    RefusedFailure,
    RuleFailure,
)
from matcher.result import FILTER_COUNTS
from matcher.rules import ExpertiseLevel, Tier
from models.engine_adapter import load_children_problem
from models.entities import (
    Attorney,
    Child,
    Court,
    Language,
    Match,
    MatchStatus,
    UnmatchedChild,
)
from models.reasons import reason_label

# Shown for a child no run has looked at yet (added or reopened after the latest run).
NOT_YET_CONSIDERED = "not_yet_considered"
NOT_YET_CONSIDERED_LABEL = "Not yet considered by a run"

# The attorney counts a run stores after each filter, in order (matcher.result.FILTER_COUNTS).
FILTER_LABELS: dict[str, str] = {
    "serve_court": "serve the court",
    "language": "and speak a language",
    "expertise": "and cover the case type",
    "take_detained": "and take detained cases if needed",
    "not_on_leave": "and are not on leave",
    "no_conflict": "and have no conflict",
    "free_capacity": "and have a free slot",
    "capacity_left_after_run": "and still had one after the run",
}
assert tuple(FILTER_LABELS) == FILTER_COUNTS, "FILTER_LABELS must follow matcher FILTER_COUNTS"

# Tiers the summary by court and language covers: the children whose hearing is near.
URGENT_TIERS = (Tier.T1.value, Tier.T2.value)


def court_label(city: str, code: str) -> str:
    return f"{city} ({code})"


# --- sums -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    children: int
    urgent: int  # of them in T1 or T2


@dataclass(frozen=True)
class CourtLanguageGap:
    """Urgent children of one court and primary language left unmatched for one reason, and the
    attorneys there."""

    court: str
    language: str
    reason: str
    reason_label: str
    urgent_children: int
    # The most any of these children had: they differ by case type, conflicts and siblings.
    eligible_attorneys: int
    with_free_place: int


@dataclass(frozen=True)
class UnmatchedSummary:
    total: int
    by_reason: list[ReasonCount]
    urgent_by_court_language: list[CourtLanguageGap]


def _count_key(key: str) -> ColumnElement[int]:
    """One of the stored attorney counts, read in SQL (JSON on SQLite and PostgreSQL alike)."""
    return cast(func.coalesce(UnmatchedChild.counts[key].as_integer(), 0), Integer)


def summarise_unmatched(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    tier: ColumnElement[int] | InstrumentedAttribute[int],
) -> UnmatchedSummary:
    """Unmatched rows meeting `conditions` summed per reason and, for T1/T2, per court, primary
    language and reason; `tier` is the tier to judge urgency by (the run's, or today's)."""
    urgent = func.sum(cast(tier.in_(URGENT_TIERS), Integer))
    by_reason_rows = session.execute(
        select(UnmatchedChild.reason, func.count(), urgent)
        .join(Child, Child.id == UnmatchedChild.child_id)
        .where(*conditions)
        .group_by(UnmatchedChild.reason)
    ).all()
    by_reason = sorted(
        (
            ReasonCount(reason, reason_label(reason), count, int(urgent_count or 0))
            for reason, count, urgent_count in by_reason_rows
        ),
        key=lambda r: (-r.urgent, -r.children, r.label),
    )
    gap_rows = session.execute(
        select(
            Court.city,
            Court.code,
            Language.name,
            UnmatchedChild.reason,
            func.count(),
            func.max(_count_key("no_conflict")),
            func.max(_count_key("free_capacity")),
        )
        .select_from(UnmatchedChild)
        .join(Child, Child.id == UnmatchedChild.child_id)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(*conditions, tier.in_(URGENT_TIERS))
        .group_by(Court.city, Court.code, Language.name, UnmatchedChild.reason)
    ).all()
    gaps = sorted(
        (
            CourtLanguageGap(
                court=court_label(city, code),
                language=language,
                reason=reason,
                reason_label=reason_label(reason),
                urgent_children=count,
                eligible_attorneys=int(eligible or 0),
                with_free_place=int(free or 0),
            )
            for city, code, language, reason, count, eligible, free in gap_rows
        ),
        key=lambda g: (
            g.eligible_attorneys > 0,
            -g.urgent_children,
            g.court,
            g.language,
            g.reason_label,
        ),
    )
    return UnmatchedSummary(
        total=sum(r.children for r in by_reason),
        by_reason=by_reason,
        urgent_by_court_language=gaps,
    )


def attorney_counts(counts: dict[str, Any]) -> list[tuple[str, int]]:
    """The stored filter counts in order, labelled: how many attorneys were left after each."""
    return [(FILTER_LABELS[key], int(counts[key])) for key in FILTER_COUNTS if key in counts]


# --- the attorneys who come closest ---------------------------------------------------------


@dataclass(frozen=True)
class CloseAttorney:
    id: int
    name: str
    firm: str
    email: str
    why: str


def closest_attorneys(
    session: Session, closest_ids_by_child: dict[int, list[int]], today: date
) -> dict[int, list[CloseAttorney]]:
    """For each child, the attorneys a run found closest, each with what is in the way today.

    The engine lists attorneys who fail at most one rule. The pairs are judged again with the
    engine's own rules on today's data (one engine instance for the whole page) and the first
    rule failing is named, so "full" or "on leave until" tells the coordinator whom to ask;
    capacity may have freed up since the run.
    """
    attorney_ids = sorted({a for ids in closest_ids_by_child.values() for a in ids})
    if not attorney_ids:
        return {child_id: [] for child_id in closest_ids_by_child}
    people = {
        attorney_id: (name, firm, email, capacity)
        for attorney_id, name, firm, email, capacity in session.execute(
            select(
                Attorney.id, Attorney.name, Attorney.firm, Attorney.email, Attorney.capacity
            ).where(Attorney.id.in_(attorney_ids))
        )
    }
    proposed = {
        attorney_id: count
        for attorney_id, count in session.execute(
            select(Match.attorney_id, func.count())
            .where(Match.status == MatchStatus.PROPOSED, Match.attorney_id.in_(attorney_ids))
            .group_by(Match.attorney_id)
        )
    }
    problem = load_children_problem(session, today, list(closest_ids_by_child), attorney_ids)
    judge = PairJudge(problem)
    known_children = {child.id for child in problem.children}
    free_slots = {attorney.id: attorney.free_slots for attorney in problem.attorneys}
    result: dict[int, list[CloseAttorney]] = {}
    for child_id, ids in closest_ids_by_child.items():
        result[child_id] = []
        if child_id not in known_children:
            continue  # removed since the run, like attorneys not in `people`
        judged = [a for a in ids if a in people and a in free_slots]
        failures = judge.failures_by_attorney(child_id, judged)
        for attorney_id in (a for a in ids if a in people):
            name, firm, email, capacity = people[attorney_id]
            why = (
                _first_rule_in_the_way(
                    failures[attorney_id],
                    free_slots[attorney_id],
                    capacity,
                    proposed.get(attorney_id, 0),
                )
                if attorney_id in failures
                else "profile inactive"
            )
            result[child_id].append(CloseAttorney(attorney_id, name, firm, email, why))
    return result


def _first_rule_in_the_way(
    failures: list[RuleFailure], free_slots: int, capacity: int, proposed: int
) -> str:
    """The first of DESIGN.md's rules 1-6 the pair fails, in their order, as a short phrase;
    for an eligible attorney with free slots, how many proposals awaiting review would take."""
    if failures:
        return _in_the_way(failures[0], capacity)
    slots = f"eligible, {free_slots} free {'slot' if free_slots == 1 else 'slots'}"
    if not proposed:
        return slots + " now"
    # Proposals hold no slot until confirmed, but confirming them would use these slots.
    return f"{slots}, {proposed} proposed to other children awaiting review"


def _in_the_way(failure: RuleFailure, capacity: int) -> str:
    """One failed rule as a short phrase."""
    match failure:
        case CourtFailure(court_code=code):
            return f"does not serve court {code}"
        case LanguageFailure(languages=languages):
            return "does not speak " + " or ".join(languages)
        case ExpertiseFailure(case_type=case_type, level=ExpertiseLevel.MENTORED):
            return f"mentored volunteer in {CASE_TYPE_NAMES[case_type]}, not for detained children"
        case ExpertiseFailure(case_type=case_type):
            return f"does not take {CASE_TYPE_NAMES[case_type]} cases"
        case DetainedFailure():
            return "does not take detained cases"
        case LeaveFailure(until=until):
            return f"on leave until {until.isoformat()}"
        case ConflictFailure():
            return "has a recorded conflict with this child"
        case RefusedFailure():
            return "this pairing was rejected or declined before, or its offer expired lately"
        case CapacityFailure(current_load=load):
            return f"eligible but full ({load} of {capacity} slots taken)"
    raise TypeError(f"no wording for {failure!r}: phrase the new rule here")
