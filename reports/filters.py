"""The filters every report accepts, and the SQL conditions they add."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, DateTime, Select, true

from matcher.rules import CaseType
from models.entities import Child, Court, Language

Statement = TypeVar("Statement", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class ReportFilters:
    """What a lead narrowed the reports to; None means "all".

    The date range is inclusive and applies to the date each report is about (children: intake
    date; pipeline: intake month; outcomes: the day the case closed; attorneys: the day of the
    offer; trends: the snapshot's day). Court, state, language (the child's primary language) and
    case type narrow the children a report counts, and the attorneys to what serves them.
    """

    date_from: date | None = None
    date_to: date | None = None
    court: str | None = None  # court code
    state: str | None = None  # two-letter state of the court
    language: str | None = None  # ISO 639-3 code of the primary language
    case_type: CaseType | None = None

    @property
    def any(self) -> bool:
        return any(getattr(self, spec.name) is not None for spec in fields(self))

    def as_query_args(self) -> dict[str, str]:
        """The filters as the report pages' query string writes them."""
        args = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value is not None:
                args[spec.name] = value.isoformat() if isinstance(value, date) else str(value)
        return args

    def in_range(self, day: Any) -> ColumnElement[bool]:
        """`day` (a date or timestamp column) within the date range; a timestamp's day is
        its day in UTC, as the database keeps it."""
        kind = getattr(day.type, "impl", day.type)  # a TypeDecorator's underlying type
        bound = _start_of_day if isinstance(kind, DateTime) else _same_day
        condition: ColumnElement[bool] = true()
        if self.date_from is not None:
            condition = condition & (day >= bound(self.date_from))
        if self.date_to is not None:
            # Anything on the last day is before the next day's start.
            condition = condition & (day < bound(_day_after(self.date_to)))
        return condition

    def on_children(self, statement: Statement, *, with_dates: bool = True) -> Statement:
        """`statement` (on `Child`) narrowed by `child_conditions`, joined to the child's court
        and primary language only when a filter is on them: PostgreSQL joins them even when
        the join cannot change a row, and at 250,000 children the joins cost more than
        reading the children."""
        if self.court is not None or self.state is not None:
            statement = statement.join(Court, Court.id == Child.court_id)
        if self.language is not None:
            statement = statement.join(Language, Language.id == Child.primary_language_id)
        return statement.where(*self.child_conditions(with_dates=with_dates))

    def child_conditions(self, *, with_dates: bool = True) -> list[ColumnElement[bool]]:
        """Conditions on `Child` (joined with its `Court` and primary `Language`)."""
        conditions: list[ColumnElement[bool]] = []
        if with_dates:
            conditions.append(self.in_range(Child.intake_date))
        if self.court is not None:
            conditions.append(Court.code == self.court)
        if self.state is not None:
            conditions.append(Court.state == self.state)
        if self.language is not None:
            conditions.append(Language.code == self.language)
        if self.case_type is not None:
            conditions.append(Child.case_type == self.case_type)
        return conditions


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _same_day(day: date) -> date:
    return day


def _day_after(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)
