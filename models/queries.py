"""Counts of need (children without counsel, by tier) and of accounts and runs, for the pages.

Every count is aggregated in SQL (a few statements whatever the number of rows), so the same
functions serve a dashboard and a nightly run over 50,000 children. Tiers are judged on the caller's
`as_of` date, as DESIGN.md's rules are. Supply (attorneys' free slots) is in `models.capacity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from matcher.rules import T1_WITHIN_DAYS, T2_WITHIN_DAYS, T3_WITHIN_DAYS, Tier

from .entities import (
    CaseStatus,
    Child,
    Match,
    MatchRun,
    MatchStatus,
    Role,
    RunStatus,
    User,
)


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


def sum_of(expression: ColumnElement[int]) -> ColumnElement[int]:
    """SUM as an integer, 0 over no rows (PostgreSQL would return NUMERIC: a Decimal)."""
    return cast(func.coalesce(func.sum(expression), 0), Integer)


class days_after(FunctionElement[int]):  # noqa: N801  (an SQL function, named as one)
    """`days_after(day, moment)`: whole days from the date `day` to the UTC day of the timestamp
    `moment` (negative when it came first), in SQL, so that reports count days without reading
    every timestamp. SQL has no portable way to say it: see the compilations below."""

    type = Integer()
    name = "days_after"
    inherit_cache = True


@compiles(days_after, "postgresql")
def _days_after_postgresql(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    day, moment = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST(({moment}) AT TIME ZONE 'UTC' AS DATE) - {day})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    # Timestamps are stored as UTC text (models.base.UTCDateTime): date() reads their day.
    day, moment = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday(date({moment})) - julianday({day}) AS INTEGER)"


class seconds_between(FunctionElement[float]):  # noqa: N801  (an SQL function, named as one)
    """`seconds_between(start, end)`: the whole seconds from the timestamp `start` to `end`,
    in SQL, so that reports time answers without reading every timestamp (NULL if either is)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"ROUND(CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    # Rounded to the second: julianday() is exact to some 50 microseconds only.
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0)"


def count_children(session: Session) -> ChildCounts:
    """Children on record and children with an open case, in one statement."""
    is_open = case((Child.case_status == CaseStatus.OPEN, 1), else_=0)
    total, open_ = session.execute(select(func.count(), sum_of(is_open)).select_from(Child)).one()
    return ChildCounts(total=total, open=open_)


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
