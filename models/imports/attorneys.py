"""The attorneys file: each row an attorney, with their languages, courts, bar admissions,
expertise and leave."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from ..entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    LeavePeriod,
)
from ..settings import dates_day_first
from .bulk import delete_for, fetch_pairs, insert_rows, upsert
from .cells import (
    Lookups,
    Memo,
    parse_bool,
    parse_case_type,
    parse_count,
    parse_date,
    parse_email,
    parse_expertise_level,
    parse_language_level,
    parse_latitude,
    parse_longitude,
    parse_state,
    text_for,
)
from .errors import RowError
from .reading import Cells
from .rows import Plan, Row, refuse_repeated_external_ids


@dataclass
class _AttorneyRecord:
    values: dict[str, Any]
    languages: dict[int, LanguageLevel]
    court_ids: list[int]
    states: list[str]
    expertise: dict[CaseType, ExpertiseLevel]
    leave: tuple[date, date] | None


@dataclass
class _AttorneyPlan(Plan):
    records: list[_AttorneyRecord] = field(default_factory=list)


def validate_attorneys(session: Session, cells: Cells) -> _AttorneyPlan:
    plan = _AttorneyPlan()
    errors = plan.errors
    lookups = Lookups(session)
    date_ = Memo(functools.partial(parse_date, day_first=dates_day_first(session)))
    external_id = text_for(Attorney.external_id)
    name = text_for(Attorney.name)
    firm = text_for(Attorney.firm)
    email = text_for(Attorney.email)
    lines: dict[str, int] = {}
    for line, row_cells in cells.rows():
        row = Row(line, row_cells, errors)
        values: dict[str, Any] = {
            "external_id": row.required("external_id", external_id),
            "name": row.required("name", name),
            "email": row.required("email", lambda v: parse_email(email(v))),
            "firm": row.optional("firm", firm) or "",
            "capacity": row.required("capacity", parse_count),
            "imported_active_cases": row.optional("active_cases", parse_count) or 0,
            "takes_detained": row.required("takes_detained", parse_bool),
            "remote_ok": row.required("remote_ok", parse_bool),
            "travel_radius_km": row.optional("travel_radius_km", parse_count) or 0,
            "home_latitude": row.optional("home_latitude", parse_latitude),
            "home_longitude": row.optional("home_longitude", parse_longitude),
        }
        languages = row.pairs(
            "languages", lookups.language, parse_language_level, example="Spanish:fluent"
        )
        expertise = row.pairs(
            "expertise", parse_case_type, parse_expertise_level, example="asylum:expert"
        )
        court_ids = list(dict.fromkeys(row.each("courts", lookups.court)))
        states = list(dict.fromkeys(row.each("states_admitted", parse_state)))
        row.both_or_neither("home_latitude", "home_longitude")
        row.both_or_neither("unavailable_from", "unavailable_to")
        leave_from = row.optional("unavailable_from", date_)
        leave_to = row.optional("unavailable_to", date_)
        leave = None
        if isinstance(leave_from, date) and isinstance(leave_to, date):
            if leave_to < leave_from:
                row.fail(
                    "unavailable_to",
                    "is before unavailable_from; the leave must end after it starts",
                )
            leave = (leave_from, leave_to)
        if not row.ok:
            continue
        plan.records.append(_AttorneyRecord(values, languages, court_ids, states, expertise, leave))
        lines[values["external_id"]] = line
    refuse_repeated_external_ids(cells, errors, "attorney")
    plan.existing = fetch_pairs(session, Attorney.external_id, Attorney.id, lines)
    _refuse_closed_courts(session, plan, lookups, lines)
    plan.count(r.values["external_id"] in plan.existing for r in plan.records)
    return plan


def _refuse_closed_courts(
    session: Session, plan: _AttorneyPlan, lookups: Lookups, lines: dict[str, int]
) -> None:
    """A closed court stays on the attorneys who list it already, and is added to no other."""
    closed = set(lookups.closed_courts)
    wanted = {
        (r.values["external_id"], c) for r in plan.records for c in r.court_ids if c in closed
    }
    if not wanted:
        return
    listed = set(
        session.execute(
            select(Attorney.external_id, AttorneyCourt.court_id)
            .join(AttorneyCourt, AttorneyCourt.attorney_id == Attorney.id)
            .where(AttorneyCourt.court_id.in_(closed))
        ).all()
    )
    for external_id, court_id in sorted(wanted - listed):
        code = lookups.closed_courts[court_id]
        plan.errors.append(
            RowError(
                lines[external_id],
                "courts",
                code,
                f"court {code} is closed: it stays on attorneys who list it already but is "
                "added to no other; leave it out",
            )
        )


# The attorney's lists: each table and the rows one record gives it (the attorney's id added later).
_ATTORNEY_LISTS: dict[Any, Callable[[_AttorneyRecord], Iterable[dict[str, Any]]]] = {
    AttorneyLanguage: lambda r: (
        {"language_id": language_id, "level": level} for language_id, level in r.languages.items()
    ),
    AttorneyCourt: lambda r: ({"court_id": court_id} for court_id in r.court_ids),
    AttorneyState: lambda r: ({"state": s} for s in r.states),
    AttorneyExpertise: lambda r: (
        {"case_type": case_type, "level": level} for case_type, level in r.expertise.items()
    ),
    LeavePeriod: lambda r: [{"start_date": r.leave[0], "end_date": r.leave[1]}] if r.leave else [],
}


def write_attorneys(session: Session, plan: Plan) -> None:
    assert isinstance(plan, _AttorneyPlan)
    ids = upsert(session, Attorney, [r.values for r in plan.records], plan.existing)
    updated_ids = list(plan.existing.values())
    for entity in _ATTORNEY_LISTS:
        delete_for(session, entity.attorney_id, updated_ids)
    pairs = list(zip(ids, plan.records, strict=True))
    for entity, rows_of in _ATTORNEY_LISTS.items():
        insert_rows(
            session, entity, [{"attorney_id": i, **row} for i, r in pairs for row in rows_of(r)]
        )
