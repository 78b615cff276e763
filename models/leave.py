"""An attorney's leave periods as they manage them: add, change, remove, each checked first.

A period ends on or after the day it starts, lies in a sane range around today, and overlaps no
other period of the same attorney (one period per stretch of absence keeps the list readable and
the "on leave today" rule unambiguous). A period of another attorney is as good as missing
(LookupError), so no page can tell one attorney's leave ids from another's. Models never commit:
the caller owns `with session.begin():`.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .entities import Attorney, LeavePeriod, User

# Leave is for planning ahead; a year back lets an attorney record an absence just ended.
EARLIEST_DAYS_BACK = 366
LATEST_DAYS_AHEAD = 3 * 366


class LeaveInvalid(Exception):
    """What is wrong with a period, by form field name (start_date, end_date)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors


def leave_periods(session: Session, attorney_id: int) -> list[LeavePeriod]:
    """The attorney's periods, earliest first."""
    return list(
        session.scalars(
            select(LeavePeriod)
            .where(LeavePeriod.attorney_id == attorney_id)
            .order_by(LeavePeriod.start_date, LeavePeriod.id)
        )
    )


def own_leave(session: Session, attorney_id: int, leave_id: int) -> LeavePeriod:
    """Leave period `leave_id` if it is this attorney's; LookupError otherwise."""
    period = session.get(LeavePeriod, leave_id)
    if period is None or period.attorney_id != attorney_id:
        raise LookupError(f"no leave period {leave_id} for attorney {attorney_id}")
    return period


def check_period(
    session: Session,
    attorney_id: int,
    start: date,
    end: date,
    today: date,
    *,
    leave_id: int | None = None,
) -> None:
    """Raise LeaveInvalid unless start..end may be the attorney's leave (besides `leave_id`)."""
    errors: dict[str, list[str]] = {}
    earliest = today - timedelta(days=EARLIEST_DAYS_BACK)
    latest = today + timedelta(days=LATEST_DAYS_AHEAD)
    for name, day in (("start_date", start), ("end_date", end)):
        if not earliest <= day <= latest:
            errors.setdefault(name, []).append(
                f"Must be between {earliest.isoformat()} and {latest.isoformat()}."
            )
    if end < start:
        errors.setdefault("end_date", []).append(
            "Is before the first day; the leave must end on or after the day it starts."
        )
    if not errors:
        overlapping = session.scalars(
            select(LeavePeriod)
            .where(
                LeavePeriod.attorney_id == attorney_id,
                LeavePeriod.start_date <= end,
                LeavePeriod.end_date >= start,
                LeavePeriod.id != (leave_id or 0),
            )
            .order_by(LeavePeriod.start_date)
            .limit(1)
        ).first()
        if overlapping is not None:
            errors["start_date"] = [
                f"Overlaps your leave from {overlapping.start_date.isoformat()} to "
                f"{overlapping.end_date.isoformat()}; change that period instead, or choose "
                "other dates."
            ]
    if errors:
        raise LeaveInvalid(errors)


def add_leave(
    session: Session, attorney_id: int, start: date, end: date, today: date, actor: User | str
) -> LeavePeriod:
    """Record a new leave period for the attorney; LeaveInvalid (nothing written) if refused."""
    if session.get(Attorney, attorney_id) is None:
        raise LookupError(f"no attorney {attorney_id}")
    check_period(session, attorney_id, start, end, today)
    period = LeavePeriod(attorney_id=attorney_id, start_date=start, end_date=end)
    session.add(period)
    session.flush()
    audit.record(session, actor, "leave_added", "leave_period", period.id, attorney_id=attorney_id)
    return period


def change_leave(
    session: Session,
    attorney_id: int,
    leave_id: int,
    start: date,
    end: date,
    today: date,
    actor: User | str,
) -> LeavePeriod:
    """Move one of the attorney's periods; LookupError if not theirs, LeaveInvalid if refused."""
    period = own_leave(session, attorney_id, leave_id)
    check_period(session, attorney_id, start, end, today, leave_id=leave_id)
    period.start_date, period.end_date = start, end
    session.flush()
    audit.record(session, actor, "leave_changed", "leave_period", leave_id, attorney_id=attorney_id)
    return period


def remove_leave(session: Session, attorney_id: int, leave_id: int, actor: User | str) -> None:
    """Delete one of the attorney's periods (the audit trail keeps that it existed)."""
    period = own_leave(session, attorney_id, leave_id)
    session.delete(period)
    session.flush()
    audit.record(session, actor, "leave_removed", "leave_period", leave_id, attorney_id=attorney_id)
