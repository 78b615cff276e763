"""The conflicts file: each row an attorney who must not be matched with a child, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..entities import Attorney, Child, Conflict
from .bulk import among, fetch_pairs, insert_rows
from .cells import Invalid
from .reading import Cells
from .rows import Plan, Row, duplicates


@dataclass
class _ConflictPlan(Plan):
    # (attorney id, child id, reason, existing conflict id or None)
    records: list[tuple[int, int, str, int | None]] = field(default_factory=list)


def validate_conflicts(session: Session, cells: Cells) -> _ConflictPlan:
    plan = _ConflictPlan()
    errors = plan.errors
    rows = list(cells.rows())
    attorneys = fetch_pairs(
        session, Attorney.external_id, Attorney.id, (c["attorney_external_id"] for _l, c in rows)
    )
    children = fetch_pairs(
        session, Child.external_id, Child.id, (c["child_external_id"] for _l, c in rows)
    )

    def known(found: dict[str, int], what: str, file: str) -> Callable[[str], int]:
        def parse(value: str) -> int:
            if value not in found:
                raise Invalid(
                    f"no {what} with this external_id is recorded; import the {file} file "
                    "first, or correct the id"
                )
            return found[value]

        return parse

    attorney = known(attorneys, "attorney", "attorneys")
    child = known(children, "child", "children")
    pairs: list[tuple[int, tuple[int, int], str]] = []
    for line, row_cells in rows:
        row = Row(line, row_cells, errors)
        attorney_id = row.required("attorney_external_id", attorney)
        child_id = row.required("child_external_id", child)
        if row.ok:
            pairs.append((line, (attorney_id, child_id), row_cells["child_external_id"]))
            plan.records.append((attorney_id, child_id, row_cells["reason"], None))
    duplicates(
        pairs,
        errors,
        "child_external_id",
        "this attorney and child are already paired on line {}; keep one row per pair",
    )
    wanted = {(a, c) for a, c, _r, _e in plan.records}
    recorded = session.execute(
        among(
            select(Conflict.attorney_id, Conflict.child_id, Conflict.id),
            Conflict.child_id,
            {c for _a, c in wanted},
        )
    ).all()
    existing = {(a, c): conflict_id for a, c, conflict_id in recorded if (a, c) in wanted}
    plan.records = [(a, c, r, existing.get((a, c))) for a, c, r, _e in plan.records]
    plan.count(record[3] is not None for record in plan.records)
    return plan


def write_conflicts(session: Session, plan: Plan) -> None:
    assert isinstance(plan, _ConflictPlan)
    new = [
        {"attorney_id": a, "child_id": c, "reason": r} for a, c, r, e in plan.records if e is None
    ]
    old = [{"id": e, "reason": r} for _a, _c, r, e in plan.records if e is not None]
    insert_rows(session, Conflict, new)
    if old:
        session.execute(update(Conflict), old)
