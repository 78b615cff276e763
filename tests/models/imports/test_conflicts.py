"""The conflicts file: pairs of recorded attorneys and children, re-import updates the reason."""

from __future__ import annotations

from sqlalchemy import select

from models import Attorney, Child, Conflict
from models.imports import ImportSummary, RowError
from tests.models.imports.helpers import (
    CONFLICTS,
    by_external_id,
    lines,
    rejected,
    run,
)


def test_conflicts_import_and_reimport_updates_the_reason(recorded):
    data = lines(CONFLICTS, 'A-1,C-1,"met the family, at church"')
    assert run(recorded, CONFLICTS, data) == ImportSummary(CONFLICTS, 1, created=1, updated=0)
    assert recorded.scalars(select(Conflict.reason)).one() == "met the family, at church"

    data = lines(CONFLICTS, "A-1,C-1,represented the sponsor")
    assert run(recorded, CONFLICTS, data) == ImportSummary(CONFLICTS, 1, created=0, updated=1)
    conflict = recorded.scalars(select(Conflict)).one()
    assert conflict.reason == "represented the sponsor"
    assert (conflict.attorney_id, conflict.child_id) == (
        by_external_id(recorded, Attorney, "A-1").id,
        by_external_id(recorded, Child, "C-1").id,
    )


def test_conflicts_must_name_recorded_attorneys_and_children(recorded):
    errors = rejected(recorded, CONFLICTS, lines(CONFLICTS, "A-9,C-1,", "A-1,C-404,x", "A-1,,y"))
    assert errors == [
        RowError(
            2,
            "attorney_external_id",
            "A-9",
            "no attorney with this external_id is recorded; import the attorneys file first, or "
            "correct the id",
        ),
        RowError(
            3,
            "child_external_id",
            "C-404",
            "no child with this external_id is recorded; import the children file first, or "
            "correct the id",
        ),
        RowError(4, "child_external_id", "", "a value is required here"),
    ]


def test_a_conflict_pair_twice_in_a_file_is_refused(recorded):
    errors = rejected(recorded, CONFLICTS, lines(CONFLICTS, "A-1,C-1,a", "A-1,C-1,b"))
    assert errors == [
        RowError(
            3,
            "child_external_id",
            "C-1",
            "this attorney and child are already paired on line 2; keep one row per pair",
        )
    ]
