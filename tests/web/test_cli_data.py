"""`counselmatch import` and `counselmatch export` through Flask's CLI runner, on both backends."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from fixtures.demo import generate, write_csv
from models import Attorney, AuditEvent, Child, Conflict
from models.base import utcnow
from models.csv_formats import COLUMNS, CsvKind
from models.db import Database
from tests.models.imports.helpers import (
    ATTORNEY,
    ATTORNEYS,
    CHILDREN,
    CONFLICTS,
    attorney,
    child,
    lines,
    rows,
)
from tests.models.imports.test_workbooks import workbook
from web.cli import cli


def counselmatch(runner: FlaskCliRunner, args: list[str]) -> Result:
    """Run the `counselmatch` command line against the test app."""
    return runner.invoke(cli, args)


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            entity.__tablename__: session.scalar(select(func.count()).select_from(entity))
            for entity in (Attorney, Child, Conflict, AuditEvent)
        }


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def files(tmp_path: Path) -> dict[CsvKind, str]:
    return {
        ATTORNEYS: write(
            tmp_path / "attorneys.csv", rows(ATTORNEYS, ATTORNEY, attorney(external_id="A-2"))
        ),
        CHILDREN: write(
            tmp_path / "children.csv",
            rows(CHILDREN, child(), child(external_id="C-2", a_number="")),
        ),
        CONFLICTS: write(tmp_path / "conflicts.csv", lines(CONFLICTS, "A-2,C-1,sponsor's lawyer")),
    }


def test_importing_each_kind_prints_a_one_line_summary(runner, db, files):
    for kind, expected in [
        (ATTORNEYS, "2 attorneys imported (2 new, 0 updated)."),
        (CHILDREN, "2 children imported (2 new, 0 updated)."),
        (CONFLICTS, "1 conflicts imported (1 new, 0 updated)."),
    ]:
        result = counselmatch(runner, ["import", kind.value, files[kind]])
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{files[kind]}: {expected}\n"
    assert counts(db) == {"attorneys": 2, "children": 2, "conflicts": 1, "audit_events": 3}
    with db.session() as session:
        assert set(session.scalars(select(AuditEvent.actor))) == {"cli"}


def test_a_windows_1252_file_is_imported_and_the_summary_says_so(runner, db, tmp_path):
    data = rows(ATTORNEYS, attorney(name="Jos\u00e9 Pe\u00f1a")).decode()
    path = write(tmp_path / "attorneys.csv", data.encode("cp1252"))

    result = counselmatch(runner, ["import", "attorneys", path])

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: 1 attorneys imported (1 new, 0 updated). "
        "The file is not UTF-8: it was read as Windows-1252.\n"
    )
    with db.session() as session:
        assert session.scalars(select(Attorney.name)).one() == "Jos\u00e9 Pe\u00f1a"


def test_us_dates_are_imported_from_the_command_line(runner, db, tmp_path):
    path = write(
        tmp_path / "children.csv",
        rows(CHILDREN, child(birth_date="5/26/2009", next_hearing_date="12/01/2026")),
    )

    result = counselmatch(runner, ["import", "children", path])

    assert result.exit_code == 0, result.output
    with db.session() as session:
        stored = session.execute(select(Child.birth_date, Child.next_hearing_date)).one()
    assert tuple(stored) == (date(2009, 5, 26), date(2026, 12, 1))


def test_a_workbook_sheet_is_imported_from_the_command_line(runner, db, tmp_path):
    data = workbook(
        ("Notes", [["exported from the case system"]]),
        ("Attorneys", [list(COLUMNS[ATTORNEYS]), [ATTORNEY[c] for c in COLUMNS[ATTORNEYS]]]),
    )
    path = write(tmp_path / "attorneys.xlsx", data)

    result = counselmatch(runner, ["import", "attorneys", path, "--sheet", "Attorneys"])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: 1 attorneys imported (1 new, 0 updated).\n"
    refused = counselmatch(runner, ["import", "attorneys", path, "--sheet", "Staff"])
    assert refused.exit_code == 1
    assert "the workbook has no sheet 'Staff'; its sheets are: Notes, Attorneys" in refused.stderr


def test_columns_named_otherwise_are_mapped_on_the_command_line(runner, db, tmp_path):
    path = write(tmp_path / "conflicts.csv", b"Lawyer,Kid,Why\nA-1,C-1,family friend\n")
    counselmatch(
        runner, ["import", "attorneys", write(tmp_path / "a.csv", rows(ATTORNEYS, ATTORNEY))]
    )
    counselmatch(runner, ["import", "children", write(tmp_path / "c.csv", rows(CHILDREN, child()))])
    maps = ["Lawyer=attorney_external_id", "Kid=child_external_id", "Why=reason"]

    result = counselmatch(runner, ["import", "conflicts", path, *[f"--map={m}" for m in maps]])

    assert result.exit_code == 0, result.output
    with db.session() as session:
        assert session.scalars(select(Conflict.reason)).one() == "family friend"
    wrong = counselmatch(runner, ["import", "conflicts", path, "--map", "Lawyer"])
    assert wrong.exit_code == 2 and "is not THEIRS=OURS" in wrong.output


def test_an_xlsx_export_from_the_command_line_reimports(runner, db, files, tmp_path):
    counselmatch(runner, ["import", "attorneys", files[ATTORNEYS]])
    out = tmp_path / "attorneys.xlsx"

    exported = counselmatch(runner, ["export", "attorneys", "--out", str(out)])

    assert exported.exit_code == 0, exported.output
    assert out.read_bytes().startswith(b"PK\x03\x04")
    again = counselmatch(runner, ["import", "attorneys", str(out)])
    assert again.stdout == f"{out}: 2 attorneys imported (0 new, 2 updated).\n"


def test_importing_again_updates(runner, db, files):
    counselmatch(runner, ["import", "attorneys", files[ATTORNEYS]])
    result = counselmatch(runner, ["import", "attorneys", files[ATTORNEYS]])
    assert result.stdout == f"{files[ATTORNEYS]}: 2 attorneys imported (0 new, 2 updated).\n"
    assert counts(db)["attorneys"] == 2


def test_a_dry_run_writes_nothing(runner, db, files):
    result = counselmatch(runner, ["import", "children", files[CHILDREN], "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{files[CHILDREN]}: 2 children checked, no problems (2 new, 0 updated on import); "
        "dry run, nothing was written.\n"
    )
    assert counts(db) == {"attorneys": 0, "children": 0, "conflicts": 0, "audit_events": 0}


def test_a_bad_file_prints_every_problem_and_imports_nothing(runner, db, files, tmp_path):
    counselmatch(runner, ["import", "children", files[CHILDREN]])
    before = counts(db)
    bad = write(
        tmp_path / "bad.csv",
        rows(
            CHILDREN,
            child(external_id="C-3", a_number="", court_code="HOUS"),
            child(external_id="C-4", a_number=""),
            child(external_id="C-5", a_number="", detained="maybe", birth_date="1/5/10"),
        ),
    )

    result = counselmatch(runner, ["import", "children", bad])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:2: column court_code: value 'HOUS': unknown court code 'HOUS'; did you mean "
        "'HOU'? write a court's code from the court list (e.g. HOU), its name, or its city where "
        "only one court is in it",
        f"{bad}:4: column birth_date: value '1/5/10': not a date in an accepted form: write "
        "YYYY-MM-DD (e.g. 2026-03-14) or M/D/YYYY (e.g. 3/14/2026); a two-digit year is not "
        "accepted; if a spreadsheet changed it, format the column as text",
        f"{bad}:4: column detained: value 'maybe': not true or false; write true/false, yes/no "
        "or 1/0",
        f"{bad}: 3 problems; nothing was imported.",
    ]
    assert counts(db) == before


def test_a_file_that_is_not_csv_is_one_problem(runner, db, tmp_path):
    picture = write(tmp_path / "children.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = counselmatch(runner, ["import", "children", picture])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{picture}: this is a PNG image, not a CSV file; in Excel use File > Save As > "
        "'CSV UTF-8 (Comma delimited) (.csv)'",
        f"{picture}: 1 problem; nothing was imported.",
    ]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["import", "matches", "x.csv"], "'matches' is not one of 'children', 'attorneys'"),
        (["import", "children", "no-such-file.csv"], "'no-such-file.csv' does not exist"),
        (["export", "children"], "Missing option '--out'"),
    ],
)
def test_command_line_mistakes_are_usage_errors(runner, db, args, complaint):
    result = counselmatch(runner, args)
    assert result.exit_code == 2
    assert complaint in result.stderr


def test_export_writes_the_import_format_and_round_trips(runner, db, files, tmp_path):
    for kind in (ATTORNEYS, CHILDREN, CONFLICTS):
        counselmatch(runner, ["import", kind.value, files[kind]])
    imported = counts(db)

    for kind, total in [(ATTORNEYS, 2), (CHILDREN, 2), (CONFLICTS, 1)]:
        out = tmp_path / f"out-{kind.value}.csv"
        result = counselmatch(runner, ["export", kind.value, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{out}: {total} {kind.value} exported.\n"
        again = counselmatch(runner, ["import", kind.value, str(out)])
        assert again.exit_code == 0, again.output
        assert f"({total - total} new, {total} updated)" in again.stdout

    after = counts(db)
    # Three exports and three re-imports were audited; no record was added.
    assert after == {**imported, "audit_events": imported["audit_events"] + 6}
    with db.session() as session:
        exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert [(e.actor, e.entity_type, e.details) for e in exports] == [
            ("cli", "attorneys", {"rows": 2}),
            ("cli", "children", {"rows": 2}),
            ("cli", "conflicts", {"rows": 1}),
        ]


def test_export_to_a_missing_folder_says_so(runner, db, tmp_path):
    out = tmp_path / "missing" / "children.csv"
    result = counselmatch(runner, ["export", "children", "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {out}: ")
    assert counts(db)["audit_events"] == 0


@pytest.mark.slow
def test_a_generated_set_of_3000_children_imports_through_the_command_line(runner, db, tmp_path):
    data = generate(children=3000, attorneys=600, seed=11, as_of=utcnow().date())
    paths = write_csv(data, tmp_path)

    for kind in (ATTORNEYS, CHILDREN, CONFLICTS):
        result = counselmatch(runner, ["import", kind.value, str(paths[kind])])
        assert result.exit_code == 0, result.output[-3000:]

    assert counts(db) == {
        "attorneys": 600,
        "children": 3000,
        "conflicts": len(data.conflicts),
        "audit_events": 3,
    }
