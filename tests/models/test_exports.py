"""Spreadsheet export: exactly the import format, so export -> import gives the same records."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attorney, LeavePeriod
from models.base import utcnow
from models.csv_formats import COLUMNS, CsvKind
from models.exports import export_csv, export_xlsx
from models.imports import ImportSummary, import_csv
from tests.conftest import empty_tables
from tests.models.imports.helpers import (
    ATTORNEY,
    ATTORNEYS,
    CHILDREN,
    CONFLICTS,
    attorney,
    child,
    header,
    languages_sharing_a_name,
    lines,
    rows,
    run,
)


def exported(session: Session, kind: CsvKind) -> str:
    out = io.StringIO()
    session.commit()
    with session.begin():
        export_csv(session, kind, out)
    return out.getvalue()


def record_everything(session: Session) -> None:
    """Records that exercise every column: aliases, lists, leave, coordinates, empty cells."""
    run(
        session,
        ATTORNEYS,
        rows(
            ATTORNEYS,
            ATTORNEY,
            attorney(
                external_id="A-2",
                name="Sam O'Neil, Jr.",
                email="sam@example.org",
                firm="",
                languages="Kreyol:native;english:working",
                courts="",
                states_admitted="",
                expertise="",
                active_cases="",
                travel_radius_km="",
                home_latitude="",
                home_longitude="",
                unavailable_from="",
                unavailable_to="",
            ),
        ),
    )
    run(
        session,
        CHILDREN,
        rows(
            CHILDREN,
            child(),
            child(
                external_id="C-2",
                first_name="Luis",
                a_number="12345678",
                other_languages="Mam;Español",
                sibling_group="XOL",
                next_hearing_date="",
                detained="yes",
            ),
            child(
                external_id="C-3",
                first_name="Amira",
                last_name="NA",
                a_number="",
                primary_language="arb",
                other_languages="",
                court_code="nyc",
                case_type="U visa",
                sibling_group="",
            ),
        ),
    )
    run(session, CONFLICTS, lines(CONFLICTS, 'A-2,C-2,"knows the sponsor, via church"'))


def test_children_are_written_in_the_import_format_with_display_names(session):
    record_everything(session)

    text = exported(session, CHILDREN)

    assert text.splitlines() == [
        header(CHILDREN),
        "C-1,Ana,Xol,123456789,2010-05-01,F,Guatemala,K'iche',Spanish,HOU,asylum,2026-12-01,"
        "false,XOL,2026-01-05",
        "C-2,Luis,Xol,012345678,2010-05-01,F,Guatemala,K'iche',Mam;Spanish,HOU,asylum,,true,XOL,"
        "2026-01-05",
        "C-3,Amira,NA,,2010-05-01,F,Guatemala,Standard Arabic,,NYC,u_visa,2026-12-01,false,,"
        "2026-01-05",
    ]


def test_a_language_whose_name_two_share_is_written_as_its_code(session):
    with languages_sharing_a_name(session):
        import_csv(session, CHILDREN, rows(CHILDREN, child(primary_language="qaa")), actor="t")
        out = io.StringIO()
        export_csv(session, CHILDREN, out)
        assert out.getvalue().splitlines()[1].split(",")[7] == "qaa"


def test_attorneys_are_written_in_the_import_format(session):
    record_everything(session)

    text = exported(session, ATTORNEYS)

    assert text.splitlines() == [
        header(ATTORNEYS),
        "A-1,Rosa Diaz,rdiaz@example.org,Diaz & Cole LLP,English:fluent;Spanish:native,DAL;HOU,"
        "TX,asylum:expert;sijs:mentored,3,1,true,false,50,29.76,-95.37,2026-12-20,2027-01-04",
        'A-2,"Sam O\'Neil, Jr.",sam@example.org,,English:working;Haitian Creole:native,,,,3,0,'
        "true,false,0,,,,",
    ]


def test_conflicts_are_written_in_the_import_format(session):
    record_everything(session)
    assert exported(session, CONFLICTS).splitlines() == [
        header(CONFLICTS),
        'A-2,C-2,"knows the sponsor, via church"',
    ]


def test_export_then_import_into_an_empty_database_gives_the_same_records(db, session):
    record_everything(session)
    files = {kind: exported(session, kind) for kind in (ATTORNEYS, CHILDREN, CONFLICTS)}
    session.commit()
    empty_tables(db)

    for kind, text in files.items():
        run(session, kind, text.encode())

    assert {kind: exported(session, kind) for kind in files} == files


def test_reimporting_an_export_updates_every_record_and_changes_none(session):
    record_everything(session)
    files = {kind: exported(session, kind) for kind in (ATTORNEYS, CHILDREN, CONFLICTS)}

    summaries = [run(session, kind, text.encode()) for kind, text in files.items()]

    assert summaries == [
        ImportSummary(ATTORNEYS, rows=2, created=0, updated=2),
        ImportSummary(CHILDREN, rows=3, created=0, updated=3),
        ImportSummary(CONFLICTS, rows=1, created=0, updated=1),
    ]
    assert {kind: exported(session, kind) for kind in files} == files


def test_a_file_gets_a_byte_order_mark_for_excel_and_reimports(session, tmp_path: Path):
    record_everything(session)
    path = tmp_path / "children.csv"
    with session.begin():
        assert export_csv(session, CHILDREN, path) == 3

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + header(CHILDREN).encode())
    assert run(session, CHILDREN, data) == ImportSummary(CHILDREN, rows=3, created=0, updated=3)


def test_a_workbook_export_reimports_and_changes_nothing(session):
    """Every kind to .xlsx and back: every record updated, none changed (the CSV exports after
    the round trip are those before), every cell text (leading zeros, dates, formulas kept
    out)."""
    record_everything(session)
    before = {kind: exported(session, kind) for kind in (ATTORNEYS, CHILDREN, CONFLICTS)}
    workbooks = {}
    for kind in before:
        out = io.BytesIO()
        with session.begin():
            export_xlsx(session, kind, out)
        workbooks[kind] = out.getvalue()
    book = openpyxl.load_workbook(io.BytesIO(workbooks[CHILDREN]), read_only=True)
    assert book.sheetnames == ["children"]
    cells = [cell for row in book["children"].iter_rows() for cell in row]
    assert {cell.data_type for cell in cells} <= {
        "s",
        "inlineStr",
    }  # text: no number, date, formula

    summaries = [run(session, kind, data) for kind, data in workbooks.items()]

    assert [(s.rows, s.created, s.updated) for s in summaries] == [(2, 0, 2), (3, 0, 3), (1, 0, 1)]
    assert {kind: exported(session, kind) for kind in before} == before


def test_an_empty_database_exports_the_header_only(session):
    for kind in (CHILDREN, ATTORNEYS, CONFLICTS):
        assert exported(session, kind) == ",".join(COLUMNS[kind]) + "\n"


def _leave_shown(session: Session, periods: list[tuple[int, int]]) -> tuple[str, str]:
    """The unavailable_from/to written for an attorney on leave `periods` (days from today)."""
    run(session, ATTORNEYS, rows(ATTORNEYS, attorney(unavailable_from="", unavailable_to="")))
    today = utcnow().date()
    rosa = session.scalars(select(Attorney)).one()
    for start, end in periods:
        session.add(
            LeavePeriod(
                attorney_id=rosa.id,
                start_date=today + timedelta(days=start),
                end_date=today + timedelta(days=end),
            )
        )
    session.commit()
    cells = exported(session, ATTORNEYS).splitlines()[1].split(",")
    return cells[-2], cells[-1]


def _days(n: int) -> str:
    return (utcnow().date() + timedelta(days=n)).isoformat()


def test_of_several_leave_periods_the_current_one_is_written(session):
    shown = _leave_shown(session, [(-60, -50), (30, 40), (-2, 3)])
    assert shown == (_days(-2), _days(3))


def test_of_several_leave_periods_the_next_one_is_written_when_none_is_current(session):
    shown = _leave_shown(session, [(-60, -50), (30, 40), (10, 12)])
    assert shown == (_days(10), _days(12))


def test_of_past_leave_periods_the_latest_is_written(session):
    shown = _leave_shown(session, [(-60, -50), (-20, -15)])
    assert shown == (_days(-20), _days(-15))
    assert date.fromisoformat(shown[1]) < utcnow().date()


def test_formulas_in_text_are_neutralised_on_export_and_restored_on_import(session):
    """CSV injection: a name like =HYPERLINK(...) must not run when the file is opened."""
    risky = '=HYPERLINK("http://x","y")'
    run(session, ATTORNEYS, rows(ATTORNEYS, attorney(name=risky)))
    exported_text = exported(session, CsvKind.ATTORNEYS)
    assert "'" + risky.replace('"', '""') in exported_text
    assert ",-95.37," in exported_text  # numbers are left alone

    with session.begin():
        import_csv(session, CsvKind.ATTORNEYS, exported_text.encode(), actor="test")
    assert session.scalar(select(Attorney.name)) == risky
