"""Excel workbooks (.xlsx), made with openpyxl here: a sheet is read as a CSV file would be, with
real date cells as dates, whole numbers without a decimal point and Excel's row numbers."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
from sqlalchemy import select

from models import Child, Conflict
from models.csv_formats import COLUMNS
from models.imports import RowError
from tests.models.imports.helpers import (
    CHILD,
    CHILDREN,
    CONFLICTS,
    by_external_id,
    rejected,
    run,
)


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def child_row(**cells: object) -> list[object]:
    values: dict[str, object] = {**CHILD, **cells}
    return [values[column] for column in COLUMNS[CHILDREN]]


def test_a_sheet_of_children_with_date_cells_and_numbers_is_imported(session):
    data = workbook(
        (
            "Children",
            [
                list(COLUMNS[CHILDREN]),
                child_row(
                    external_id=1001,  # a number cell: 1001, not 1001.0
                    a_number="012345678",  # an identifier typed as text keeps its zero
                    birth_date=datetime(2011, 5, 26),  # a real date cell
                    next_hearing_date=date(2026, 12, 20),
                    detained=False,
                    intake_date=datetime(2026, 1, 5),
                ),
            ],
        )
    )

    summary = run(session, CHILDREN, data)

    assert (summary.rows, summary.created, summary.encoding) == (1, 1, "UTF-8")
    kid = by_external_id(session, Child, "1001")
    assert (kid.a_number, kid.birth_date, kid.next_hearing_date, kid.detained) == (
        "012345678",
        date(2011, 5, 26),
        date(2026, 12, 20),
        False,
    )


def test_the_named_sheet_is_read_and_an_unknown_one_is_listed(recorded):
    data = workbook(
        ("Notes", [["read me first"]]),
        ("Conflicts", [list(COLUMNS[CONFLICTS]), ["A-1", "C-1", "sponsor's lawyer"]]),
    )

    run(recorded, CONFLICTS, data, sheet="Conflicts")
    assert recorded.scalars(select(Conflict.reason)).one() == "sponsor's lawyer"
    assert rejected(recorded, CONFLICTS, data, sheet="Summary") == [
        RowError(0, "", "", "the workbook has no sheet 'Summary'; its sheets are: Notes, Conflicts")
    ]
    # The first sheet by default: here the notes, whose header is not a conflicts header.
    assert rejected(recorded, CONFLICTS, data)[0].message.startswith("unknown column")


def test_problems_name_the_rows_as_excel_numbers_them(recorded):
    data = workbook(
        (
            "Sheet1",
            [
                list(COLUMNS[CONFLICTS]),
                ["A-1", "C-1", "fine"],
                [None, None, None],  # an empty row keeps its number
                ["A-9", "C-1", "unknown attorney"],
            ],
        )
    )
    [problem] = rejected(recorded, CONFLICTS, data)
    assert (problem.line, problem.column, problem.value) == (4, "attorney_external_id", "A-9")


def test_a_damaged_workbook_is_refused_with_what_to_do(recorded):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert rejected(recorded, CONFLICTS, buffer.getvalue()) == [
        RowError(
            0,
            "",
            "",
            "this Excel workbook cannot be read (damaged, or protected with a password); open it "
            "in Excel and save it again as .xlsx",
        )
    ]


def test_a_sheet_named_for_a_csv_file_is_refused(recorded):
    data = b"attorney_external_id,child_external_id,reason\nA-1,C-1,x\n"
    assert rejected(recorded, CONFLICTS, data, sheet="x") == [
        RowError(0, "", "", "a sheet ('x') was named, but this is not an Excel workbook")
    ]
