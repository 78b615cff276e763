"""Free slots: the one definition of an attorney's capacity figures (DESIGN.md rule 4).

    active cases = imported active cases (carried outside this system) + accepted matches
    free slots   = capacity - active cases - confirmed offers awaiting an answer  (never below 0)

Every reader (the matcher's loader, the save check of a run, decisions, the review queue, the
home pages, and later the attorney portal and the reports) takes the figure from here, computed
by one SQL expression, so a page can never disagree with the engine. Whether an attorney is
*available* (active, not on leave on the day) is a separate question, answered here too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, select, true
from sqlalchemy.orm import Session

from .entities import Attorney, LeavePeriod, Match, MatchStatus
from .queries import sum_of

# Matches that hold one of the attorney's slots: cases taken, and offers confirmed by a
# coordinator and still awaiting the attorney's answer.
CAPACITY_HOLDING_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.CONFIRMED)


@dataclass(frozen=True)
class Slots:
    """One attorney's capacity, what holds it, and the free slots left."""

    capacity: int
    imported_active_cases: int  # cases carried outside this system (the import's active_cases)
    accepted_matches: int
    pending_offers: int  # confirmed by a coordinator, awaiting the attorney's answer
    free_slots: int  # capacity left for new offers; 0 for an over-full attorney

    @property
    def active_cases(self) -> int:
        return self.imported_active_cases + self.accepted_matches

    @property
    def load(self) -> int:
        """Everything holding a slot: the load the engine's fit charges further cases against."""
        return self.active_cases + self.pending_offers


@dataclass(frozen=True)
class AttorneyLoad(Slots):
    """One attorney's slots as their home page shows them: no free slot while away."""

    name: str = ""
    active: bool = True
    on_leave: bool = False


def on_leave(as_of: date) -> ColumnElement[bool]:
    """True for an attorney with a leave period covering `as_of` (both ends inclusive)."""
    return exists().where(
        LeavePeriod.attorney_id == Attorney.id,
        LeavePeriod.start_date <= as_of,
        LeavePeriod.end_date >= as_of,
    )


def available(as_of: date) -> ColumnElement[bool]:
    """An attorney who may take new cases on `as_of`: active and not on leave."""
    return Attorney.active.is_(True) & ~on_leave(as_of)


def slots_select(attorney_ids: Collection[int] | None = None) -> Select[*tuple[Any, ...]]:
    """(attorney id, capacity, imported, accepted, pending, free) of `attorney_ids` (or all).

    `free` is the raw difference and may be negative for an over-full attorney (possible after
    an import lowers a capacity); callers that count slots clip it with `clipped_free`.
    """

    def count_of(status: MatchStatus) -> ColumnElement[int]:
        return sum_of(case((Match.status == status, 1), else_=0))

    held = (
        select(
            Match.attorney_id.label("attorney_id"),
            count_of(MatchStatus.ACCEPTED).label("accepted"),
            count_of(MatchStatus.CONFIRMED).label("pending"),
        )
        .where(Match.status.in_(CAPACITY_HOLDING_STATUSES))
        .group_by(Match.attorney_id)
        .subquery("held_slots")
    )
    accepted = func.coalesce(held.c.accepted, 0)
    pending = func.coalesce(held.c.pending, 0)
    free = Attorney.capacity - Attorney.imported_active_cases - accepted - pending
    return (
        select(
            Attorney.id,
            Attorney.capacity,
            Attorney.imported_active_cases,
            accepted.label("accepted"),
            pending.label("pending"),
            free.label("free"),
        )
        .outerjoin(held, held.c.attorney_id == Attorney.id)
        .where(true() if attorney_ids is None else Attorney.id.in_(attorney_ids))
    )


def slots_by_attorney(
    session: Session, attorney_ids: Collection[int] | None = None, *, active_only: bool = False
) -> dict[int, Slots]:
    """The slots of `attorney_ids` (every attorney when None; only active ones if asked)."""
    query = slots_select(attorney_ids)
    if active_only:
        query = query.where(Attorney.active.is_(True))
    return {
        row.id: Slots(
            row.capacity, row.imported_active_cases, row.accepted, row.pending, max(row.free, 0)
        )
        for row in session.execute(query)
    }


def free_slots_by_attorney(session: Session, as_of: date) -> dict[int, int]:
    """Free slots of every attorney available on `as_of` (inactive and on-leave ones left out)."""
    query = slots_select().where(available(as_of))
    return {row.id: max(row.free, 0) for row in session.execute(query)}


@dataclass(frozen=True)
class FreeSlotsSummary:
    available_attorneys: int  # active and not on leave on the date
    attorneys_with_free_slots: int
    free_slots: int


def free_slots_summary(session: Session, as_of: date) -> FreeSlotsSummary:
    """Attorneys available on `as_of`, those with a free slot, and the free slots in total."""
    free = slots_select().where(available(as_of)).subquery("free_slots")
    positive = case((free.c.free > 0, free.c.free), else_=0)
    has_free = case((free.c.free > 0, 1), else_=0)
    counts, with_free, slots = session.execute(
        select(
            func.count(),
            sum_of(has_free),
            sum_of(positive),
        ).select_from(free)
    ).one()
    return FreeSlotsSummary(
        available_attorneys=counts, attorneys_with_free_slots=with_free, free_slots=slots
    )


def attorney_load(session: Session, attorney_id: int, as_of: date) -> AttorneyLoad | None:
    """One attorney's slots on `as_of`, or None if there is no such attorney."""
    row = session.execute(
        slots_select([attorney_id]).add_columns(Attorney.name, Attorney.active, on_leave(as_of))
    ).one_or_none()
    if row is None:
        return None
    _, capacity, imported, accepted, pending, free, name, active, leave = row
    away = not active or bool(leave)
    return AttorneyLoad(
        capacity=capacity,
        imported_active_cases=imported,
        accepted_matches=accepted,
        pending_offers=pending,
        free_slots=0 if away else max(free, 0),
        name=name,
        active=active,
        on_leave=bool(leave),
    )
