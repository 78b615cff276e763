"""The children file: each row a child, with their other languages and sibling group."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..base import utcnow
from ..entities import Child, ChildLanguage, SiblingGroup
from ..settings import dates_day_first
from .bulk import delete_for, fetch_pairs, insert_by_external_id, insert_rows, upsert
from .cells import (
    Lookups,
    Memo,
    parse_a_number,
    parse_bool,
    parse_case_type,
    parse_date,
    parse_sex,
    text_for,
)
from .errors import RowError, masked
from .reading import Cells
from .rows import Plan, Row, duplicates, refuse_repeated_external_ids


@dataclass
class _ChildRecord:
    line: int
    values: dict[str, Any]
    other_language_ids: list[int]
    sibling_group: str | None


@dataclass
class _ChildPlan(Plan):
    records: list[_ChildRecord] = field(default_factory=list)
    # Recorded children of this file whose A-number another row of it takes.
    giving_up_a_number: list[int] = field(default_factory=list)


def validate_children(session: Session, cells: Cells) -> _ChildPlan:
    plan = _ChildPlan()
    errors = plan.errors
    lookups = Lookups(session)
    today = utcnow().date()
    date_ = Memo(functools.partial(parse_date, day_first=dates_day_first(session)))
    case_type = Memo(parse_case_type)
    external_id = text_for(Child.external_id)
    first_name = text_for(Child.first_name)
    last_name = text_for(Child.last_name)
    country = text_for(Child.country_of_origin)
    sibling_key = text_for(SiblingGroup.external_id)
    lines: dict[str, int] = {}
    for line, row_cells in cells.rows():
        row = Row(line, row_cells, errors)
        values: dict[str, Any] = {
            "external_id": row.required("external_id", external_id),
            "first_name": row.required("first_name", first_name),
            "last_name": row.required("last_name", last_name),
            "a_number": row.optional("a_number", parse_a_number),
            "birth_date": row.required("birth_date", date_),
            "sex": row.required("sex", parse_sex),
            "country_of_origin": row.required("country_of_origin", country),
            "primary_language_id": row.required("primary_language", lookups.language),
            "court_id": row.required("court_code", lookups.court),
            "case_type": row.required("case_type", case_type),
            "next_hearing_date": row.optional("next_hearing_date", date_),
            "detained": row.required("detained", parse_bool),
            "intake_date": row.required("intake_date", date_),
        }
        other_ids = row.each("other_languages", lookups.language)
        group = row.optional("sibling_group", sibling_key)
        birth = values["birth_date"]
        if isinstance(birth, date):
            intake = values["intake_date"]
            if birth > today:
                row.fail("birth_date", f"is in the future (today is {today.isoformat()})")
            elif isinstance(intake, date) and intake < birth:
                row.fail("intake_date", "is before the birth date")
        if not row.ok:
            continue
        primary = values["primary_language_id"]
        # The primary language is already known; repeats would break the (child, language) key.
        other_ids = list(dict.fromkeys(i for i in other_ids if i != primary))
        plan.records.append(_ChildRecord(line, values, other_ids, group))
        lines[values["external_id"]] = line
    refuse_repeated_external_ids(cells, errors, "child")
    a_numbers = [(r.line, r.values["a_number"], r.values["a_number"]) for r in plan.records]
    duplicates(
        a_numbers, errors, "a_number", "the same A-number is on line {}; each child has their own"
    )
    owners = fetch_pairs(
        session, Child.a_number, Child.external_id, (a for _line, a, _cell in a_numbers if a)
    )
    plan.existing = fetch_pairs(session, Child.external_id, Child.id, lines)
    _refuse_erased_and_closed(session, plan, lookups, lines)
    for record in plan.records:
        owner = owners.get(record.values["a_number"])
        if not owner or owner == record.values["external_id"]:
            continue
        # Another child's A-number is only free when this file gives that child a new one.
        if owner in lines:
            plan.giving_up_a_number.append(plan.existing[owner])
        else:
            errors.append(
                RowError(
                    record.line,
                    "a_number",
                    masked(record.values["a_number"]),
                    f"this A-number belongs to another child already recorded (external_id "
                    f"'{owner}'); correct it, or update that child instead",
                )
            )
    plan.count(r.values["external_id"] in plan.existing for r in plan.records)
    return plan


def _refuse_erased_and_closed(
    session: Session, plan: _ChildPlan, lookups: Lookups, lines: dict[str, int]
) -> None:
    """An erased record's personal data never come back through a file; and a closed court
    takes no child that is not recorded there already."""
    erased = fetch_pairs(session, Child.external_id, Child.erased_at, lines)
    courts = fetch_pairs(session, Child.external_id, Child.court_id, lines)
    for record in plan.records:
        external_id = record.values["external_id"]
        erased_at = erased.get(external_id)
        if erased_at is not None:
            plan.errors.append(
                RowError(
                    record.line,
                    "external_id",
                    external_id,
                    f"this child's record was erased on {erased_at:%Y-%m-%d} (retention or a "
                    "request): its personal data are not taken back; remove the row",
                )
            )
        court_id = record.values["court_id"]
        if court_id in lookups.closed_courts and courts.get(external_id) != court_id:
            code = lookups.closed_courts[court_id]
            plan.errors.append(
                RowError(
                    record.line,
                    "court_code",
                    code,
                    f"court {code} is closed: it keeps the children recorded there but takes "
                    "no other; write the court now hearing the case",
                )
            )


def write_children(session: Session, plan: Plan) -> None:
    assert isinstance(plan, _ChildPlan)
    group_keys = sorted({r.sibling_group for r in plan.records if r.sibling_group})
    group_ids = fetch_pairs(session, SiblingGroup.external_id, SiblingGroup.id, group_keys)
    new_groups = [{"external_id": key} for key in group_keys if key not in group_ids]
    group_ids.update(insert_by_external_id(session, SiblingGroup, new_groups))
    for record in plan.records:
        record.values["sibling_group_id"] = group_ids.get(record.sibling_group)
    # An A-number moving between children of this file is first released, so that no
    # intermediate state of the bulk update holds it twice.
    if plan.giving_up_a_number:
        released = [{"id": i, "a_number": None} for i in plan.giving_up_a_number]
        session.execute(update(Child), released)
    ids = upsert(session, Child, [r.values for r in plan.records], plan.existing)
    delete_for(session, ChildLanguage.child_id, list(plan.existing.values()))
    insert_rows(
        session,
        ChildLanguage,
        [
            {"child_id": child_id, "language_id": language_id}
            for child_id, record in zip(ids, plan.records, strict=True)
            for language_id in record.other_language_ids
        ],
    )
