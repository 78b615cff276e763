"""Why children are left unmatched, as coordinators read it (DESIGN.md "Explanations").

The runs store one UnmatchedChild row per child left without a proposal: a reason code, a one-line
detail and the attorney counts after each filter. This module names the reasons, sums them per
reason and per court and language ("Houston, Mam: 7 urgent children, 0 eligible attorneys"), and
says for each attorney the engine found closest why they did not get the child, so a coordinator
knows whom to ask. Every function reads with a fixed number of queries, however many rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from matcher.eligibility import haversine_km
from matcher.explain import CASE_TYPE_NAMES
from matcher.result import FILTER_COUNTS, UnmatchedReason
from matcher.rules import CaseType, ExpertiseLevel, Tier
from models.entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    Child,
    ChildLanguage,
    Conflict,
    Court,
    Language,
    LeavePeriod,
    Match,
    MatchRun,
    RunStatus,
    UnmatchedChild,
)
from models.matching import REFUSED_STATUSES, held_slots_by_attorney
from models.settings import MENTORED_FOR_DETAINED_KEY, get_setting

REASON_LABELS: dict[str, str] = {
    UnmatchedReason.NO_ATTORNEY_FOR_COURT: "No attorney serves the court",
    UnmatchedReason.NO_LANGUAGE: "No attorney speaks the language",
    UnmatchedReason.NO_EXPERTISE: "No attorney covers the case type",
    UnmatchedReason.DETAINED_NO_ATTORNEY: "No attorney takes detained cases",
    UnmatchedReason.ALL_ON_LEAVE: "Every suitable attorney is on leave",
    UnmatchedReason.CONFLICTS_OR_REFUSED: "Conflicts, rejections or declines",
    UnmatchedReason.ALL_ELIGIBLE_FULL: "Every eligible attorney is full",
    UnmatchedReason.SIBLINGS_NO_COMMON_ATTORNEY: "No attorney for the whole sibling group",
    UnmatchedReason.SIBLING_GROUP_TOO_LARGE: "Sibling group too large for any attorney",
    UnmatchedReason.TAKEN_BY_MORE_URGENT: "Places went to more urgent children",
    UnmatchedReason.NOT_PLACED: "Not placed before the time limit",
}
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
    "free_capacity": "and have a free place",
    "capacity_left_after_run": "and still had one after the run",
}
assert tuple(FILTER_LABELS) == FILTER_COUNTS, "FILTER_LABELS must follow matcher FILTER_COUNTS"

# Tiers the summary by court and language covers: the children whose hearing is near.
URGENT_TIERS = (Tier.T1.value, Tier.T2.value)


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, reason.replace("_", " ").capitalize())


def latest_succeeded_run(session: Session) -> MatchRun | None:
    """The run whose unmatched reasons are current: the latest that finished successfully."""
    return session.scalar(
        select(MatchRun)
        .where(MatchRun.status == RunStatus.SUCCEEDED)
        .order_by(MatchRun.id.desc())
        .limit(1)
    )


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

    def sentence(self) -> str:
        children = "child" if self.urgent_children == 1 else "children"
        attorneys = "attorney" if self.eligible_attorneys == 1 else "attorneys"
        return (
            f"{self.court}, {self.language}: {self.urgent_children} urgent {children}, "
            f"{self.eligible_attorneys} eligible {attorneys}"
        )


@dataclass(frozen=True)
class UnmatchedSummary:
    total: int
    by_reason: list[ReasonCount]
    urgent_by_court_language: list[CourtLanguageGap]


def _count_key(key: str) -> ColumnElement[int]:
    """One of the stored attorney counts, read in SQL (JSON on SQLite and PostgreSQL alike)."""
    return cast(func.coalesce(UnmatchedChild.counts[key].as_integer(), 0), Integer)


def summarise_unmatched(
    session: Session, conditions: Sequence[ColumnElement[bool]], tier: ColumnElement[int]
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


@dataclass(frozen=True)
class _ChildFacts:
    id: int
    court_id: int
    court_code: str
    court_state: str
    court_latitude: float
    court_longitude: float
    case_type: CaseType
    detained: bool
    language_ids: tuple[int, ...]  # primary first
    interpreter: bool  # for the primary language


@dataclass
class _AttorneyFacts:
    id: int
    name: str
    firm: str
    email: str
    active: bool
    capacity: int
    carried: int  # imported active cases plus accepted and confirmed matches
    takes_detained: bool
    remote_ok: bool
    travel_radius_km: int
    home: tuple[float, float] | None
    courts: set[int]
    states: set[str]
    language_ids: set[int]
    expertise: dict[CaseType, ExpertiseLevel]
    leave_until: date | None


def closest_attorneys(
    session: Session, closest_ids_by_child: dict[int, list[int]], today: date
) -> dict[int, list[CloseAttorney]]:
    """For each child, the attorneys a run found closest, each with the one thing in the way now.

    The engine lists attorneys who fail at most one rule; the rules are checked again on today's
    data, in DESIGN.md's order, and the first one failing is named, so "full" or "on leave until"
    tells the coordinator whom to ask (capacity may have freed up since the run).
    """
    attorney_ids = sorted({a for ids in closest_ids_by_child.values() for a in ids})
    if not attorney_ids:
        return {child_id: [] for child_id in closest_ids_by_child}
    children = _child_facts(session, list(closest_ids_by_child))
    attorneys = _attorney_facts(session, attorney_ids, today)
    pairs = {(c, a) for c, ids in closest_ids_by_child.items() for a in ids}
    conflicts = _pairs_among(session, Conflict.child_id, Conflict.attorney_id, pairs)
    refused = _pairs_among(
        session, Match.child_id, Match.attorney_id, pairs, Match.status.in_(REFUSED_STATUSES)
    )
    mentored_ok = bool(get_setting(session, MENTORED_FOR_DETAINED_KEY, False))
    language_names: dict[int, str] = {
        language_id: name
        for language_id, name in session.execute(
            select(Language.id, Language.name).where(
                Language.id.in_({i for c in children.values() for i in c.language_ids})
            )
        )
    }
    result: dict[int, list[CloseAttorney]] = {}
    for child_id, ids in closest_ids_by_child.items():
        child = children.get(child_id)
        shown = []
        for attorney_id in ids:
            attorney = attorneys.get(attorney_id)
            if attorney is None or child is None:
                continue
            why = _what_is_in_the_way(
                child,
                attorney,
                conflict=(child_id, attorney_id) in conflicts,
                refused=(child_id, attorney_id) in refused,
                mentored_ok=mentored_ok,
                language_names=language_names,
            )
            shown.append(
                CloseAttorney(attorney.id, attorney.name, attorney.firm, attorney.email, why)
            )
        result[child_id] = shown
    return result


def _what_is_in_the_way(
    child: _ChildFacts,
    attorney: _AttorneyFacts,
    *,
    conflict: bool,
    refused: bool,
    mentored_ok: bool,
    language_names: dict[int, str],
) -> str:
    if not attorney.active:
        return "profile inactive"
    if not _serves_court(child, attorney):
        return f"does not serve court {child.court_code}"
    if not (attorney.language_ids & set(child.language_ids)) and not child.interpreter:
        spoken = " or ".join(language_names.get(i, "?") for i in child.language_ids)
        return f"does not speak {spoken}"
    level = attorney.expertise.get(child.case_type)
    case = CASE_TYPE_NAMES[child.case_type]
    if level is None:
        return f"does not take {case} cases"
    if child.detained and level == ExpertiseLevel.MENTORED and not mentored_ok:
        return f"{case} only with a mentor, which detained children cannot have"
    if child.detained and not attorney.takes_detained:
        return "does not take detained cases"
    if attorney.leave_until is not None:
        return f"on leave until {attorney.leave_until.isoformat()}"
    if conflict:
        return "has a recorded conflict with this child"
    if refused:
        return "this pairing was rejected or declined before"
    if attorney.carried >= attorney.capacity:
        return f"eligible but full ({attorney.carried} of {attorney.capacity} places taken)"
    free = attorney.capacity - attorney.carried
    places = "place" if free == 1 else "places"
    return f"eligible, {free} free {places} now"


def _serves_court(child: _ChildFacts, attorney: _AttorneyFacts) -> bool:
    """DESIGN.md rule 1: lists the court, lives within travel range, or takes remote hearings
    in a state where admitted."""
    if child.court_id in attorney.courts:
        return True
    if attorney.remote_ok and child.court_state in attorney.states:
        return True
    # A radius of 0 km means the attorney does not travel, as the engine reads it.
    if attorney.home is None or attorney.travel_radius_km <= 0:
        return False
    distance = haversine_km(
        attorney.home[0], attorney.home[1], child.court_latitude, child.court_longitude
    )
    return bool(distance <= attorney.travel_radius_km)


def _child_facts(session: Session, child_ids: list[int]) -> dict[int, _ChildFacts]:
    others: dict[int, list[int]] = defaultdict(list)
    for child_id, language_id in session.execute(
        select(ChildLanguage.child_id, ChildLanguage.language_id)
        .where(ChildLanguage.child_id.in_(child_ids))
        .order_by(ChildLanguage.child_id, ChildLanguage.language_id)
    ):
        others[child_id].append(language_id)
    rows = session.execute(
        select(
            Child.id,
            Court.id,
            Court.code,
            Court.state,
            Court.latitude,
            Court.longitude,
            Child.case_type,
            Child.detained,
            Child.primary_language_id,
            Language.interpreter_available,
        )
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(Child.id.in_(child_ids))
    )
    return {
        child_id: _ChildFacts(
            id=child_id,
            court_id=court_id,
            court_code=code,
            court_state=state,
            court_latitude=latitude,
            court_longitude=longitude,
            case_type=CaseType(case_type),
            detained=detained,
            language_ids=(primary, *[i for i in others[child_id] if i != primary]),
            interpreter=interpreter,
        )
        for (
            child_id,
            court_id,
            code,
            state,
            latitude,
            longitude,
            case_type,
            detained,
            primary,
            interpreter,
        ) in rows
    }


def _attorney_facts(
    session: Session, attorney_ids: list[int], today: date
) -> dict[int, _AttorneyFacts]:
    held = held_slots_by_attorney(session)
    facts = {
        a.id: _AttorneyFacts(
            id=a.id,
            name=a.name,
            firm=a.firm,
            email=a.email,
            active=a.active,
            capacity=a.capacity,
            carried=a.active_cases + held.get(a.id, 0),
            takes_detained=a.takes_detained,
            remote_ok=a.remote_ok,
            travel_radius_km=a.travel_radius_km,
            home=(
                (a.home_latitude, a.home_longitude)
                if a.home_latitude is not None and a.home_longitude is not None
                else None
            ),
            courts=set(),
            states=set(),
            language_ids=set(),
            expertise={},
            leave_until=None,
        )
        for a in session.scalars(select(Attorney).where(Attorney.id.in_(attorney_ids)))
    }
    for attorney_id, court_id in session.execute(
        select(AttorneyCourt.attorney_id, AttorneyCourt.court_id).where(
            AttorneyCourt.attorney_id.in_(attorney_ids)
        )
    ):
        facts[attorney_id].courts.add(court_id)
    for attorney_id, state in session.execute(
        select(AttorneyState.attorney_id, AttorneyState.state).where(
            AttorneyState.attorney_id.in_(attorney_ids)
        )
    ):
        facts[attorney_id].states.add(state)
    for attorney_id, language_id in session.execute(
        select(AttorneyLanguage.attorney_id, AttorneyLanguage.language_id).where(
            AttorneyLanguage.attorney_id.in_(attorney_ids)
        )
    ):
        facts[attorney_id].language_ids.add(language_id)
    for attorney_id, case_type, level in session.execute(
        select(
            AttorneyExpertise.attorney_id, AttorneyExpertise.case_type, AttorneyExpertise.level
        ).where(AttorneyExpertise.attorney_id.in_(attorney_ids))
    ):
        facts[attorney_id].expertise[CaseType(case_type)] = ExpertiseLevel(level)
    for attorney_id, end in session.execute(
        select(LeavePeriod.attorney_id, func.max(LeavePeriod.end_date))
        .where(
            LeavePeriod.attorney_id.in_(attorney_ids),
            LeavePeriod.start_date <= today,
            LeavePeriod.end_date >= today,
        )
        .group_by(LeavePeriod.attorney_id)
    ):
        facts[attorney_id].leave_until = end
    return facts


def _pairs_among(
    session: Session,
    child_column: Any,
    attorney_column: Any,
    pairs: Iterable[tuple[int, int]],
    *conditions: ColumnElement[bool],
) -> set[tuple[int, int]]:
    pairs = list(pairs)
    child_ids = {c for c, _ in pairs}
    attorney_ids = {a for _, a in pairs}
    found = session.execute(
        select(child_column, attorney_column).where(
            and_(child_column.in_(child_ids), attorney_column.in_(attorney_ids), *conditions)
        )
    )
    wanted = set(pairs)
    return {(c, a) for c, a in found if (c, a) in wanted}
