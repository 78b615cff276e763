"""Counts the home pages and the matcher adapter share: need (children) and supply (attorneys).

Every count is aggregated in SQL (a few statements whatever the number of rows), so the same
functions serve a dashboard and a nightly run over 50,000 children. Tiers and leave are judged on
the caller's `as_of` date, as DESIGN.md's rules are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Integer, Subquery, and_, case, cast, exists, func, select
from sqlalchemy.orm import Session

from matcher.rules import T1_WITHIN_DAYS, T2_WITHIN_DAYS, T3_WITHIN_DAYS, Tier

from .entities import (
    Attorney,
    CaseStatus,
    Child,
    LeavePeriod,
    Match,
    MatchRun,
    MatchStatus,
    Role,
    RunStatus,
    User,
)

# Matches that hold one of the attorney's slots (DESIGN.md rule 4): cases taken, and offers
# confirmed by a coordinator and still awaiting the attorney's answer.
CAPACITY_HOLDING_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.CONFIRMED)


def tier_expression(as_of: date) -> ColumnElement[int]:
    """The SQL twin of `matcher.rules.tier_for`: the child's tier number (1-4) on `as_of`."""
    hearing = Child.next_hearing_date
    return case(
        (Child.detained.is_(True), Tier.T1.value),
        (hearing.is_(None), Tier.T4.value),
        # A hearing already past is <= as_of + 14 days too, so it counts as T1 as tier_for says.
        (hearing <= as_of + timedelta(days=T1_WITHIN_DAYS), Tier.T1.value),
        (hearing <= as_of + timedelta(days=T2_WITHIN_DAYS), Tier.T2.value),
        (hearing <= as_of + timedelta(days=T3_WITHIN_DAYS), Tier.T3.value),
        else_=Tier.T4.value,
    )


def has_accepted_match() -> ColumnElement[bool]:
    """True for a child an attorney has accepted: the child is represented."""
    return exists().where(Match.child_id == Child.id, Match.status == MatchStatus.ACCEPTED)


def without_counsel() -> ColumnElement[bool]:
    """Children still needing a lawyer: an open case and no accepted match."""
    return and_(Child.case_status == CaseStatus.OPEN, ~has_accepted_match())


def children_without_counsel_by_tier(session: Session, as_of: date) -> dict[Tier, int]:
    """How many open children have no accepted match, per tier on `as_of` (every tier present)."""
    tier = tier_expression(as_of).label("tier")
    rows = session.execute(select(tier, func.count()).where(without_counsel()).group_by(tier))
    counts = dict.fromkeys(Tier, 0)
    for tier_number, count in rows:
        counts[Tier(tier_number)] = count
    return counts


@dataclass(frozen=True)
class ChildCounts:
    total: int  # every child on record, closed cases included
    open: int  # children whose case is open, represented or not


def _sum_of(expression: ColumnElement[int]) -> ColumnElement[int]:
    """SUM as an integer, 0 over no rows (PostgreSQL would return NUMERIC: a Decimal)."""
    return cast(func.coalesce(func.sum(expression), 0), Integer)


def count_children(session: Session) -> ChildCounts:
    """Children on record and children with an open case, in one statement."""
    is_open = case((Child.case_status == CaseStatus.OPEN, 1), else_=0)
    total, open_ = session.execute(select(func.count(), _sum_of(is_open)).select_from(Child)).one()
    return ChildCounts(total=total, open=open_)


def on_leave(as_of: date) -> ColumnElement[bool]:
    """True for an attorney with a leave period covering `as_of` (both ends inclusive)."""
    return exists().where(
        LeavePeriod.attorney_id == Attorney.id,
        LeavePeriod.start_date <= as_of,
        LeavePeriod.end_date >= as_of,
    )


def _held_slots_by_attorney() -> Subquery:
    return (
        select(Match.attorney_id, func.count().label("held"))
        .where(Match.status.in_(CAPACITY_HOLDING_STATUSES))
        .group_by(Match.attorney_id)
        .subquery("held_slots")
    )


def _free_capacity_of_available_attorneys(as_of: date) -> Subquery:
    """(attorney_id, free) for attorneys active and not on leave on `as_of`; free may be < 0."""
    held = _held_slots_by_attorney()
    free = Attorney.capacity - Attorney.active_cases - func.coalesce(held.c.held, 0)
    return (
        select(Attorney.id.label("attorney_id"), free.label("free"))
        .outerjoin(held, held.c.attorney_id == Attorney.id)
        .where(Attorney.active.is_(True), ~on_leave(as_of))
        .subquery("free_capacity")
    )


def free_capacity_by_attorney(session: Session, as_of: date) -> dict[int, int]:
    """Free slots per attorney available on `as_of` (DESIGN.md rule 4).

    Free = capacity - imported active cases - accepted matches - confirmed offers awaiting an
    answer. Inactive attorneys and those on leave on `as_of` are left out; an over-full attorney
    (possible after an import lowers capacity) maps to 0, never a negative number.
    """
    free = _free_capacity_of_available_attorneys(as_of)
    rows = session.execute(select(free.c.attorney_id, free.c.free))
    return {attorney_id: max(slots, 0) for attorney_id, slots in rows}


@dataclass(frozen=True)
class FreeCapacity:
    available_attorneys: int  # active and not on leave on the date
    attorneys_with_free_slots: int
    free_slots: int


def free_capacity_summary(session: Session, as_of: date) -> FreeCapacity:
    """Attorneys available on `as_of`, those with a free slot, and the free slots in total."""
    free = _free_capacity_of_available_attorneys(as_of)
    positive = case((free.c.free > 0, free.c.free), else_=0)
    has_free = case((free.c.free > 0, 1), else_=0)
    available, with_free, slots = session.execute(
        select(
            func.count(),
            _sum_of(has_free),
            _sum_of(positive),
        ).select_from(free)
    ).one()
    return FreeCapacity(
        available_attorneys=available, attorneys_with_free_slots=with_free, free_slots=slots
    )


@dataclass(frozen=True)
class AttorneyLoad:
    """One attorney's capacity and load, as their home page shows it."""

    name: str
    active: bool
    on_leave: bool
    capacity: int
    imported_active_cases: int  # cases carried outside this system
    accepted_matches: int
    pending_offers: int  # confirmed by a coordinator, awaiting the attorney's answer

    @property
    def active_cases(self) -> int:
        return self.imported_active_cases + self.accepted_matches

    @property
    def free_slots(self) -> int:
        """Slots left for new offers (0 while inactive or on leave), as the matcher counts them."""
        if not self.active or self.on_leave:
            return 0
        return max(self.capacity - self.active_cases - self.pending_offers, 0)


def attorney_load(session: Session, attorney_id: int, as_of: date) -> AttorneyLoad | None:
    """The capacity summary of one attorney on `as_of`, or None if there is no such attorney."""

    def matches_in(status: MatchStatus) -> ColumnElement[int]:
        return (
            select(func.count())
            .where(Match.attorney_id == Attorney.id, Match.status == status)
            .scalar_subquery()
        )

    row = session.execute(
        select(
            Attorney.name,
            Attorney.active,
            on_leave(as_of),
            Attorney.capacity,
            Attorney.active_cases,
            matches_in(MatchStatus.ACCEPTED),
            matches_in(MatchStatus.CONFIRMED),
        ).where(Attorney.id == attorney_id)
    ).one_or_none()
    if row is None:
        return None
    name, active, leave, capacity, imported, accepted, confirmed = row
    return AttorneyLoad(
        name=name,
        active=active,
        on_leave=bool(leave),
        capacity=capacity,
        imported_active_cases=imported,
        accepted_matches=accepted,
        pending_offers=confirmed,
    )


def users_by_role(session: Session) -> dict[Role, int]:
    """Active user accounts per role (every role present)."""
    rows = session.execute(
        select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)
    )
    counts = dict.fromkeys(Role, 0)
    for role, count in rows:
        counts[Role(role)] = count
    return counts


def latest_succeeded_run(session: Session) -> MatchRun | None:
    """The run whose proposals and unmatched reasons are current: the latest that succeeded."""
    return session.scalar(
        select(MatchRun)
        .where(MatchRun.status == RunStatus.SUCCEEDED)
        .order_by(MatchRun.id.desc())
        .limit(1)
    )
