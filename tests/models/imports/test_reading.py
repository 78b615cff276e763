"""The file as a whole: what is not a CSV file, or not UTF-8, or has broken columns, quoting or
field counts is refused with a message a person can act on; line numbers are spreadsheet rows."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from sqlalchemy import select

from models import Child, Conflict
from models.csv_formats import COLUMNS
from models.imports import ImportFailed, ImportSummary, RowError, import_csv
from tests.models.imports.helpers import (
    CHILD,
    CHILDREN,
    CONFLICTS,
    by_external_id,
    lines,
    rejected,
    run,
)

SAVE_AS = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (.csv)'"


def whole_file(message: str) -> list[RowError]:
    return [RowError(0, "", "", message)]


@pytest.mark.parametrize("data", [b"", b"  \n\n"])
def test_an_empty_file_is_refused(recorded, data):
    assert rejected(recorded, CONFLICTS, data) == whole_file(
        "the file is empty; it needs a header row (attorney_external_id, child_external_id, "
        "reason) and one row per conflict"
    )


@pytest.mark.parametrize("data", [lines(CONFLICTS), lines(CONFLICTS, "", ",,")])
def test_a_header_without_rows_is_refused(recorded, data):
    assert rejected(recorded, CONFLICTS, data) == whole_file(
        "the file has a header row but no data rows; add one row per conflict"
    )


def test_missing_and_unknown_columns_are_listed(recorded):
    data = b"attorney_external_id,child_extrnal_id,comment\nA-1,C-1,x\n"
    listing = "the columns are: attorney_external_id, child_external_id, reason"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(
            1,
            "child_extrnal_id",
            "",
            f"unknown column; did you mean 'child_external_id'? {listing}",
        ),
        RowError(1, "comment", "", f"unknown column; {listing}"),
        RowError(1, "child_external_id", "", f"required column is missing; {listing}"),
        RowError(1, "reason", "", f"required column is missing; {listing}"),
    ]


def test_the_column_names_programs_use_are_recognised(session):
    """A case-management export's own names (models/data/column_aliases.csv), a US date and a
    court written by its code: the same checks, the same records."""
    header = (
        "Child ID,First Name,Last Name,A#,DOB,Gender,Country of Birth,Primary Language,"
        "Other Languages,Immigration Court,Case Type,Hearing Date,Detained?,Sibling Group,"
        "Intake Date"
    )
    data = f"{header}\nC-9,Ana,Xol,A123-456-789,5/26/2011,F,Guatemala,Kiche,,HOU,asylum,"
    data += "12/20/2026,no,XOL,1/5/2026\n"

    summary = run(session, CHILDREN, data.encode())

    assert (summary.rows, summary.created) == (1, 1)
    kid = by_external_id(session, Child, "C-9")
    assert (kid.a_number, kid.birth_date, kid.next_hearing_date) == (
        "123456789",
        date(2011, 5, 26),
        date(2026, 12, 20),
    )


def test_a_column_given_by_its_name_and_an_alias_is_refused_as_twice(recorded):
    data = b"attorney_external_id,child_external_id,reason,Notes\nA-1,C-1,x,y\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(1, "Notes", "", "this column appears twice ('reason' too); keep one of them")
    ]


def test_a_column_twice_is_refused(recorded):
    data = b"attorney_external_id,child_external_id,reason,Reason\nA-1,C-1,x,y\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(1, "Reason", "", "this column appears twice; keep one of them")
    ]


def test_column_names_ignore_case_spaces_and_order(recorded):
    data = b" Reason ,Child External ID,ATTORNEY-EXTERNAL-ID\nno reason,C-1,A-1\n"
    run(recorded, CONFLICTS, data)
    assert recorded.scalars(select(Conflict.reason)).one() == "no reason"


def test_empty_columns_a_spreadsheet_appends_are_ignored(recorded):
    run(recorded, CONFLICTS, b"attorney_external_id,child_external_id,reason,,\nA-1,C-1,x,,\n")
    assert recorded.scalars(select(Conflict.reason)).one() == "x"


def test_a_value_under_a_column_without_a_name_is_refused(recorded):
    data = b"attorney_external_id,child_external_id,reason,\nA-1,C-1,x,\nA-1,C-1,y,stray\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(
            3,
            "",
            "",
            "field 4 of this row holds a value but its column has no name; name the column or "
            "delete the value",
        )
    ]


def test_semicolon_separated_files_are_explained(recorded):
    data = b"attorney_external_id;child_external_id;reason\nA-1;C-1;x\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(1, "", "", f"the columns are separated by semicolons, not commas; {SAVE_AS}")
    ]


def test_a_file_saved_as_windows_1252_is_read_as_that_and_says_so(recorded):
    """Excel's plain "CSV": José and España in Windows-1252 (one byte each)."""
    reason = "Jos\u00e9 in Espa\u00f1a \u2013 20 \u20ac"
    data = lines(CONFLICTS, f"A-1,C-1,{reason}").decode().encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    summary = run(recorded, CONFLICTS, data)

    assert summary.encoding == "Windows-1252"
    assert summary.read_as == " The file is not UTF-8: it was read as Windows-1252."
    assert recorded.scalars(select(Conflict.reason)).one() == reason


def test_a_utf8_file_says_nothing_of_its_encoding(recorded):
    summary = run(recorded, CONFLICTS, lines(CONFLICTS, "A-1,C-1,Jos\u00e9"))
    assert (summary.encoding, summary.read_as) == ("UTF-8", "")


def test_a_file_neither_utf8_nor_windows_1252_is_refused_naming_the_lines(recorded):
    # 0x81 is no character in Windows-1252, and not UTF-8 after an ASCII byte either.
    data = lines(CONFLICTS, "A-1,C-1,fine", "A-1,C-1,caf\u00e9").replace(b"caf\xc3\xa9", b"caf\x81")
    assert rejected(recorded, CONFLICTS, data) == whole_file(
        "the file is neither UTF-8 nor Windows-1252 text (characters on line 3 cannot be read); "
        f"{SAVE_AS}"
    )


def test_a_utf8_byte_order_mark_is_accepted(recorded):
    run(recorded, CONFLICTS, "\ufeff".encode() + lines(CONFLICTS, "A-1,C-1,Año nuevo"))
    assert recorded.scalars(select(Conflict.reason)).one() == "Año nuevo"


def _zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


def _png_file() -> bytes:
    buffer = io.BytesIO()
    Figure(figsize=(1, 1)).savefig(buffer, format="png")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (_zip_file, "this is a ZIP archive, not a CSV file"),
        (_png_file, "this is a PNG image, not a CSV file"),
        (
            lambda: lines(CONFLICTS).decode().encode("utf-16"),
            "this is text in UTF-16 (Excel's 'Unicode Text'), not a CSV file",
        ),
        (lambda: b"\x00\x01\x02binary", "this is a binary file, not a CSV file"),
    ],
)
def test_files_that_are_not_csv_are_refused(recorded, make, what):
    assert rejected(recorded, CONFLICTS, make()) == whole_file(f"{what}; {SAVE_AS}")


def test_rows_with_the_wrong_number_of_fields_are_listed(recorded):
    data = lines(CONFLICTS, "A-1,C-1,ok", "A-1,C-1,a,b", "A-1,C-1,ok", "A-1,C-1")
    message = "but the header has 3; a value that contains a comma must be in double quotes"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(3, "", "", f"this row has 4 fields {message}"),
        RowError(5, "", "", f"this row has 2 fields {message}"),
    ]


def test_an_unclosed_quote_is_located(recorded):
    data = lines(CONFLICTS, "A-1,C-1,ok", 'A-1,C-1,"never closed', "A-1,C-1,x")
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(
            3,
            "",
            "",
            "a double quote opened in this row is never closed, so the rest of the file would "
            "read as one value; close the quote or remove it",
        )
    ]


def test_line_numbers_are_spreadsheet_rows_across_blank_rows_and_multiline_cells(recorded):
    data = lines(CONFLICTS, 'A-1,C-1,"two\nlines"', "", ",,", "A-1,C-404,x")
    errors = rejected(recorded, CONFLICTS, data)
    assert [(e.line, e.column, e.value) for e in errors] == [(5, "child_external_id", "C-404")]


def test_blank_rows_are_skipped(recorded):
    summary = run(recorded, CONFLICTS, lines(CONFLICTS, "", "A-1,C-1,x", ",,", ""))
    assert summary == ImportSummary(CONFLICTS, rows=1, created=1, updated=0)


def test_cells_are_stripped_and_na_stays_text(recorded):
    run(recorded, CONFLICTS, lines(CONFLICTS, "  A-1 , C-1 ,NA"))
    assert recorded.scalars(select(Conflict.reason)).one() == "NA"


@pytest.mark.parametrize("given_as", ["Path", "str", "file object"])
def test_a_source_may_be_a_path_a_string_or_a_file_object(recorded, tmp_path: Path, given_as):
    path = tmp_path / "conflicts.csv"
    path.write_bytes(lines(CONFLICTS, "A-1,C-1,from a file"))
    recorded.commit()
    with path.open("rb") as opened, recorded.begin():
        source = {"Path": path, "str": str(path), "file object": opened}[given_as]
        summary = import_csv(recorded, CONFLICTS, source, actor="test")
    assert summary.created == 1
    assert recorded.scalars(select(Conflict.reason)).one() == "from a file"


def test_errors_name_the_file_a_path_came_from(recorded, tmp_path: Path):
    path = tmp_path / "conflicts.csv"
    path.write_bytes(lines(CONFLICTS, "A-1,C-404,"))
    with pytest.raises(ImportFailed) as failed, recorded.begin():
        import_csv(recorded, CONFLICTS, path, actor="test")
    assert failed.value.filename == str(path)
    assert str(failed.value).startswith(f"{path}:2: column child_external_id: value 'C-404': ")


def test_import_failed_lists_every_error_one_per_line(recorded):
    with pytest.raises(ImportFailed) as failed, recorded.begin():
        import_csv(
            recorded,
            CONFLICTS,
            b"attorney_external_id,child_external_id,reason\nA-9,,x\n",
            actor="test",
            filename="conflicts.csv",
        )
    assert str(failed.value).splitlines() == [
        "conflicts.csv:2: column attorney_external_id: value 'A-9': no attorney with this "
        "external_id is recorded; import the attorneys file first, or correct the id",
        "conflicts.csv:2: column child_external_id: value '': a value is required here",
    ]


def test_error_descriptions_leave_out_what_does_not_apply():
    assert RowError(0, "", "", "empty").describe("f.csv") == "f.csv: empty"
    assert RowError(1, "x", "", "unknown").describe("f.csv") == "f.csv:1: column x: unknown"
    assert RowError(4, "", "", "4 fields").describe("f.csv") == "f.csv:4: 4 fields"
    assert RowError(4, "sex", "Q", "bad").describe("f.csv") == "f.csv:4: column sex: value 'Q': bad"


def test_a_mapping_names_the_columns_a_file_calls_otherwise_and_leaves_others_out(session):
    header = COLUMNS[CHILDREN]
    renamed = ["Fecha de nacimiento" if c == "birth_date" else c for c in header]
    cells = {**CHILD, "birth_date": "2011-05-26"}
    data = ",".join([*renamed, "Case Worker"]) + "\n"
    data += ",".join([*(cells[c] for c in header), "M. Ortiz"]) + "\n"
    mapping = {"fecha de nacimiento": "birth_date", "Case Worker": "ignore"}

    run(session, CHILDREN, data.encode(), mapping=mapping)

    assert by_external_id(session, Child, "C-1").birth_date == date(2011, 5, 26)


def test_a_mapping_to_no_column_of_ours_or_from_no_column_of_theirs_is_refused(recorded):
    data = b"attorney_external_id,child_external_id,Why\nA-1,C-1,x\n"
    listing = "attorney_external_id, child_external_id, reason"
    errors = rejected(recorded, CONFLICTS, data, mapping={"Why": "motive", "Staff": "reason"})
    assert errors[:2] == [
        RowError(1, "Why", "", f"mapped to 'motive', which is not one of ours: {listing}"),
        RowError(1, "Staff", "", "the mapping names this column, but the file has none"),
    ]
