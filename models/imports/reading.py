"""Reading a file: bytes to text (UTF-8, a byte-order mark allowed; else Windows-1252, as Excel's
plain "CSV" saves it, when the whole file decodes as that), text to cells (pandas, every cell a
string), with the header and every row's field count checked first.

Column names ignore case, spaces, `-`, `_` and punctuation, and the names programs use for them
are recognised (`DOB`, `A#`, `Hearing Date`, ...: `models/data/column_aliases.csv`); cells are
stripped of surrounding spaces; wholly empty rows are skipped.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pandas as pd

from ..csv_formats import COLUMNS, CsvKind, unprotect_cell
from ..languages import read_data_csv
from .cells import name_key
from .errors import ImportFailed, RowError

# What one row of each file describes, for messages.
_ROW_NOUNS = {
    CsvKind.CHILDREN: "child",
    CsvKind.ATTORNEYS: "attorney",
    CsvKind.CONFLICTS: "conflict",
}


# The encodings a file is read in, as the summary names them.
UTF_8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"


class _FileProblem(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


@dataclass
class Cells:
    """The data rows of a file: `lines[i]` is the spreadsheet row number of `columns[c][i]`."""

    lines: list[int]
    columns: dict[str, list[str]]
    encoding: str = UTF_8  # how the file's bytes were read

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        names = list(self.columns)
        for line, values in zip(self.lines, zip(*self.columns.values(), strict=True), strict=True):
            yield line, dict(zip(names, values, strict=True))


_ZIP = b"PK\x03\x04"  # an Excel workbook (.xlsx) is a ZIP archive
_SIGNATURES = (
    (_ZIP, "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "text in UTF-16 (Excel's 'Unicode Text')"),
    (b"\xfe\xff", "text in UTF-16"),
)
_SAVE_AS = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (.csv)'"


def read_source(source: str | Path | bytes | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "upload"
    if isinstance(source, str | Path):
        path = Path(source)
        return path.read_bytes(), str(path)
    return source.read(), str(getattr(source, "name", "upload"))


# What a mapping may give a file's column instead of one of ours: its cells are left out.
IGNORE = "ignore"


def read_cells(
    data: bytes,
    kind: CsvKind,
    filename: str,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Cells:
    """The cells of a CSV file, or of a workbook's sheet (`sheet`, else the first). `mapping`:
    the file's column name -> ours or IGNORE, for columns named otherwise (it wins over the
    names and aliases we know)."""
    try:
        if data.startswith(_ZIP) and _is_workbook(data):
            text, encoding = _workbook_text(data, sheet), UTF_8
        elif sheet is not None:
            raise _whole_file(f"a sheet ('{sheet}') was named, but this is not an Excel workbook")
        else:
            text, encoding = _decode(data)
        header, records = _check_structure(text, kind, mapping or {})
        cells = _parse(text, header, records, kind, mapping or {})
        cells.encoding = encoding
        return cells
    except _FileProblem as problem:
        raise ImportFailed(filename, problem.errors) from None


def _column_key(name: str) -> str:
    """How a column's name is compared: case, spaces, dashes, underscores and punctuation
    ignored (`Birth Date`, `birth_date`, `Detained?`), `#` kept (`A#`)."""
    return re.sub(r"[^\w#]|_", "", name.casefold())


@functools.cache
def _columns_by_key(kind: CsvKind) -> dict[str, str]:
    """Our column for each name a file may give it: its own, and the shipped aliases."""
    columns = {_column_key(column): column for column in COLUMNS[kind]}
    for row in read_data_csv("column_aliases.csv"):
        if row["kind"] != kind.value:
            continue
        key, column = _column_key(row["alias"]), row["column"]
        if column not in COLUMNS[kind] or columns.setdefault(key, column) != column:
            raise RuntimeError(f"column_aliases.csv: {row['alias']!r} for {kind.value} is wrong")
    return columns


def column_for(kind: CsvKind, name: str) -> str | None:
    """Our column a file's column name means, or None when it is not one of ours."""
    return _columns_by_key(kind).get(_column_key(name))


def _whole_file(message: str) -> _FileProblem:
    return _FileProblem([RowError(0, "", "", message)])


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _workbook_text(data: bytes, sheet: str | None) -> str:
    """A workbook's sheet as CSV text, row for row, so that row numbers stay Excel's and every
    check is the CSV file's: date cells as YYYY-MM-DD, whole numbers without a decimal point
    (identifiers typed as text keep their leading zeros), true/false cells as true/false."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise _whole_file(
            "this Excel workbook cannot be read (damaged, or protected with a password); open "
            "it in Excel and save it again as .xlsx"
        ) from None
    try:
        if sheet is None:
            worksheet = book.worksheets[0]
        elif sheet in book.sheetnames:
            worksheet = book[sheet]
        else:
            raise _whole_file(
                f"the workbook has no sheet '{sheet}'; its sheets are: {', '.join(book.sheetnames)}"
            )
        rows = [
            [_cell_text(value) for value in row] for row in worksheet.iter_rows(values_only=True)
        ]
    finally:
        book.close()
    width = max((len(row) for row in rows), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    return out.getvalue()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8, else Windows-1252 when every byte of the file
    is a Windows-1252 character (five byte values are not), else an error naming the lines."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise _whole_file(f"this is {what}, not a CSV file; {_SAVE_AS}")
    if b"\x00" in data[:65536]:
        raise _whole_file(f"this is a binary file, not a CSV file; {_SAVE_AS}")
    try:
        return data.decode("utf-8-sig"), UTF_8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), WINDOWS_1252
    except UnicodeDecodeError:
        pass
    bad_lines = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            raw_line.decode("cp1252")
        except UnicodeDecodeError:
            bad_lines.append(number)
    shown = ", ".join(str(n) for n in bad_lines[:10])
    more = f" and {len(bad_lines) - 10} more" if len(bad_lines) > 10 else ""
    where = "line" if len(bad_lines) == 1 else "lines"
    raise _whole_file(
        f"the file is neither UTF-8 nor Windows-1252 text (characters on {where} {shown}{more} "
        f"cannot be read); {_SAVE_AS}"
    )


def _check_structure(text: str, kind: CsvKind, mapping: Mapping[str, str]) -> tuple[list[str], int]:
    """Checks the header and every row's field count; returns the header and the number of
    records (header included), by which pandas' reading is checked."""
    expected = COLUMNS[kind]
    noun = _ROW_NOUNS[kind]
    if not text.strip():
        raise _whole_file(
            f"the file is empty; it needs a header row ({', '.join(expected)}) and one row per "
            f"{noun}"
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader)
    errors = _check_header(header, kind, mapping)
    if errors:
        raise _FileProblem(errors)
    width = len(header)
    records, has_data = 1, False
    try:
        for record in reader:
            records += 1
            if record and len(record) != width:
                errors.append(
                    RowError(
                        records,
                        "",
                        "",
                        f"this row has {len(record)} fields but the header has {width}; a value "
                        "that contains a comma must be in double quotes",
                    )
                )
            has_data = has_data or any(cell.strip() for cell in record)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            message = (
                "a double quote opened in this row is never closed, so the rest of the file "
                "would read as one value; close the quote or remove it"
            )
        else:
            message = (
                f"the quoting of this row is broken ({exc}); a value in double quotes must end "
                'with its closing quote, and a quote inside it is written twice ("")'
            )
        errors.append(RowError(records + 1, "", "", message))
    if errors:
        raise _FileProblem(errors)
    if not has_data:
        raise _whole_file(f"the file has a header row but no data rows; add one row per {noun}")
    return header, records


def _mapped(kind: CsvKind, name: str, mapping: Mapping[str, str]) -> str | None:
    """Our column (or IGNORE) for a file's column name: the mapping's first, else ours."""
    by_key = {name_key(theirs): ours for theirs, ours in mapping.items()}
    return by_key.get(name_key(name)) or column_for(kind, name)


def _check_header(header: list[str], kind: CsvKind, mapping: Mapping[str, str]) -> list[RowError]:
    expected = COLUMNS[kind]
    listing = ", ".join(expected)
    if len(header) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if separator in header[0]:
                return [
                    RowError(
                        1,
                        "",
                        "",
                        f"the columns are separated by {name}, not commas; {_SAVE_AS}",
                    )
                ]
    errors = []
    present = {name_key(name) for name in header}
    for theirs, ours in mapping.items():
        if name_key(theirs) not in present:
            errors.append(
                RowError(1, theirs, "", "the mapping names this column, but the file has none")
            )
        elif ours != IGNORE and ours not in expected:
            errors.append(
                RowError(1, theirs, "", f"mapped to '{ours}', which is not one of ours: {listing}")
            )
    seen: dict[str, str] = {}  # our column -> the file's name for it
    for name in header:
        if not name_key(name):
            continue  # spreadsheets append empty columns; their cells are checked to be empty
        column = _mapped(kind, name, mapping)
        if column == IGNORE or (column is not None and column not in expected):
            continue  # left out by the mapping (a wrong target is reported above)
        if column is None:
            close = difflib.get_close_matches(name_key(name), expected, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            errors.append(
                RowError(1, name, "", f"unknown column; {hint}the columns are: {listing}")
            )
        elif column in seen:
            same = "" if name_key(seen[column]) == name_key(name) else f" ('{seen[column]}' too)"
            errors.append(
                RowError(1, name, "", f"this column appears twice{same}; keep one of them")
            )
        else:
            seen[column] = name
    errors += [
        RowError(1, column, "", f"required column is missing; the columns are: {listing}")
        for column in expected
        if column not in seen
    ]
    return errors


def _parse(
    text: str, header: list[str], records: int, kind: CsvKind, mapping: Mapping[str, str]
) -> Cells:
    frame = pd.read_csv(
        io.StringIO(text, newline=""),
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
    )
    if len(frame) != records:
        # The structure check and pandas read the same dialect; a disagreement is a bug here.
        raise RuntimeError(f"pandas read {len(frame)} rows, the structure check {records}")
    names = [_mapped(kind, name, mapping) or "" if name_key(name) else "" for name in header]
    raw = {
        name: [unprotect_cell(cell.strip()) for cell in frame[i].tolist()[1:]]
        for i, name in enumerate(names)
    }
    errors = [
        RowError(
            row + 2,
            "",
            "",
            f"field {position + 1} of this row holds a value but its column has no name; name "
            "the column or delete the value",
        )
        for position, name in enumerate(names)
        if not name
        for row, cell in enumerate(frame[position].tolist()[1:])
        if cell.strip()
    ]
    if errors:
        raise _FileProblem(errors)
    ours = [raw[name] for name in COLUMNS[kind]]  # an ignored column's cells count for nothing
    keep = [i for i in range(len(frame) - 1) if any(values[i] for values in ours)]
    if len(keep) == len(frame) - 1:
        columns = {name: raw[name] for name in COLUMNS[kind]}
    else:
        columns = {name: [raw[name][i] for i in keep] for name in COLUMNS[kind]}
    return Cells([i + 2 for i in keep], columns)
