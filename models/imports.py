"""Spreadsheet import (DESIGN.md "Command line and files"): all or nothing, every problem reported.

A file goes through three steps: bytes to text (UTF-8, a byte-order mark allowed), text to cells
(pandas, every cell a string), cells to records (each column parsed, then the checks across rows and
against the database). Only when no step found a problem are the records written, in bulk.

Leniency, all of it lossless: column names ignore case, surrounding spaces and `-`/space versus `_`;
cells are stripped of surrounding spaces; wholly empty rows are skipped; court codes, sex and states
ignore case; booleans accept true/false, yes/no, 1/0. An A-number may be written `A123-456-789`,
`A 123 456 789` or `123456789` (a leading `A`, spaces and dashes are dropped) and is stored as 9
digits; one of 8 digits gets a leading 0, as USCIS instructs and as a spreadsheet that dropped the
zero needs.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pandas as pd
import pycountry
from sqlalchemy import Select, String, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from . import audit
from .base import utcnow
from .csv_formats import COLUMNS, LIST_SEPARATOR, CsvKind, unprotect_cell
from .entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    Child,
    ChildLanguage,
    Conflict,
    Court,
    Language,
    LeavePeriod,
    SiblingGroup,
    User,
)
from .languages import fold
from .reference import language_catalogue

logger = logging.getLogger(__name__)

T = TypeVar("T")
_Select = TypeVar("_Select", bound="Select[*tuple[Any, ...]]")

# What one row of each file describes, for messages.
_ROW_NOUNS = {
    CsvKind.CHILDREN: "child",
    CsvKind.ATTORNEYS: "attorney",
    CsvKind.CONFLICTS: "conflict",
}
# Cells that must never be echoed back whole: an error report can end up in a log.
_SENSITIVE_COLUMNS = frozenset({"first_name", "last_name", "a_number"})
# The longest IN (...) list a lookup sends; more keys are matched against one scan of the table.
# PostgreSQL plans a statement that runs repeatedly once, generically, and a generic plan searches
# a long IN list element by element for every row: 50 lookups of 1,000 keys took 70 s, not 1 s.
_IN_LIST_LIMIT = 100


@dataclass(frozen=True)
class RowError:
    """One problem in an import file, precise enough for a person to find and fix it.

    `line` is the row number a spreadsheet shows (header = 1, first data row = 2; 0 = the whole
    file); `column` is "" for whole-file or whole-row problems; `value` is the cell as written
    (for a list, the item at fault), with the letters and digits of names and A-numbers masked.
    """

    line: int
    column: str
    value: str
    message: str

    def describe(self, filename: str) -> str:
        """`FILE:LINE: column COL: value 'V': message`, leaving out the parts that do not apply."""
        parts = [f"{filename}:{self.line}" if self.line else filename]
        if self.column:
            parts.append(f"column {self.column}")
            if self.line >= 2:
                parts.append(f"value '{self.value}'")
        parts.append(self.message)
        return ": ".join(parts)


class ImportFailed(Exception):
    """The file was not imported; `errors` lists every problem found, in file order."""

    def __init__(self, filename: str, errors: Sequence[RowError]) -> None:
        self.filename = filename
        self.errors = list(errors)
        super().__init__("\n".join(error.describe(filename) for error in self.errors))


@dataclass(frozen=True)
class ImportSummary:
    kind: CsvKind
    rows: int
    created: int
    updated: int


def import_csv(
    session: Session,
    kind: CsvKind,
    source: str | Path | bytes | BinaryIO,
    *,
    actor: User | str,
    filename: str | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Validate every row of a CSV file, then (unless `dry_run`) write them all in the caller's
    transaction and record one audit event. Raises ImportFailed, having written nothing, when any
    row is wrong.

    `source` is a path (str or Path), the file's bytes, or a binary file object.
    """
    data, shown_name = _read_source(source)
    filename = filename or shown_name
    cells = _read_cells(data, kind, filename)
    validate, write = IMPORTERS[kind]
    plan = validate(session, cells)
    if plan.errors:
        raise ImportFailed(filename, _in_file_order(plan.errors, kind))
    summary = ImportSummary(kind, rows=len(cells.lines), created=plan.created, updated=plan.updated)
    if dry_run:
        return summary
    # Pending changes must reach the database before bulk statements work beside the ORM.
    session.flush()
    write(session, plan)
    # Bulk statements bypass the identity map: objects loaded earlier would show the old values.
    session.expire_all()
    audit.record(
        session,
        actor,
        "import",
        kind.value,
        rows=summary.rows,
        created=summary.created,
        updated=summary.updated,
    )
    logger.info(
        "imported %s: %d rows, %d created, %d updated",
        kind.value,
        summary.rows,
        summary.created,
        summary.updated,
    )
    return summary


# --- bytes to text to cells -------------------------------------------------------------------


class _FileProblem(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


@dataclass
class _Cells:
    """The data rows of a file: `lines[i]` is the spreadsheet row number of `columns[c][i]`."""

    lines: list[int]
    columns: dict[str, list[str]]

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        names = list(self.columns)
        for line, values in zip(self.lines, zip(*self.columns.values(), strict=True), strict=True):
            yield line, dict(zip(names, values, strict=True))


_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "text in UTF-16 (Excel's 'Unicode Text')"),
    (b"\xfe\xff", "text in UTF-16"),
)
_SAVE_AS = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (.csv)'"


def _read_source(source: str | Path | bytes | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "upload"
    if isinstance(source, str | Path):
        path = Path(source)
        return path.read_bytes(), str(path)
    return source.read(), str(getattr(source, "name", "upload"))


def _read_cells(data: bytes, kind: CsvKind, filename: str) -> _Cells:
    try:
        text = _decode(data)
        header, records = _check_structure(text, kind)
        return _parse(text, header, records, kind)
    except _FileProblem as problem:
        raise ImportFailed(filename, problem.errors) from None


def _whole_file(message: str) -> _FileProblem:
    return _FileProblem([RowError(0, "", "", message)])


def _decode(data: bytes) -> str:
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise _whole_file(f"this is {what}, not a CSV file; {_SAVE_AS}")
    if b"\x00" in data[:65536]:
        raise _whole_file(f"this is a binary file, not a CSV file; {_SAVE_AS}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    bad_lines = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.append(number)
    shown = ", ".join(str(n) for n in bad_lines[:10])
    more = f" and {len(bad_lines) - 10} more" if len(bad_lines) > 10 else ""
    where = "line" if len(bad_lines) == 1 else "lines"
    raise _whole_file(
        f"the file is not UTF-8 text (characters on {where} {shown}{more} cannot be read; it was "
        f"probably saved as Windows-1252 or Latin-1); {_SAVE_AS}"
    )


def _header_key(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip()).casefold()


def _check_structure(text: str, kind: CsvKind) -> tuple[list[str], int]:
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
    errors = _check_header(header, expected)
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


def _check_header(header: list[str], expected: tuple[str, ...]) -> list[RowError]:
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
    seen: set[str] = set()
    for name in header:
        key = _header_key(name)
        if not key:
            continue  # spreadsheets append empty columns; their cells are checked to be empty
        if key in seen:
            errors.append(RowError(1, name, "", "this column appears twice; keep one of them"))
        elif key not in expected:
            close = difflib.get_close_matches(key, expected, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            errors.append(
                RowError(1, name, "", f"unknown column; {hint}the columns are: {listing}")
            )
        seen.add(key)
    errors += [
        RowError(1, column, "", f"required column is missing; the columns are: {listing}")
        for column in expected
        if column not in seen
    ]
    return errors


def _parse(text: str, header: list[str], records: int, kind: CsvKind) -> _Cells:
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
    names = [_header_key(name) for name in header]
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
    keep = [i for i in range(len(frame) - 1) if any(values[i] for values in raw.values())]
    if len(keep) == len(frame) - 1:
        columns = {name: raw[name] for name in COLUMNS[kind]}
    else:
        columns = {name: [raw[name][i] for i in keep] for name in COLUMNS[kind]}
    return _Cells([i + 2 for i in keep], columns)


def _in_file_order(errors: list[RowError], kind: CsvKind) -> list[RowError]:
    order = {name: i for i, name in enumerate(COLUMNS[kind])}
    return sorted(errors, key=lambda e: (e.line, order.get(e.column, -1)))


# --- cells to values ---------------------------------------------------------------------------


def _masked(cell: str) -> str:
    """A cell's shape without its letters and digits, for names and A-numbers."""
    return re.sub(r"\w", "*", cell)


class _Invalid(Exception):
    """A cell that cannot be read; the message says what is wrong and what to write instead."""

    def __init__(self, message: str) -> None:
        self.message = message


class _Memo:
    """Caches a parser's answers, errors too: dates and languages repeat across many rows."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self._parse = parse
        self._seen: dict[str, Any] = {}

    def __call__(self, value: str) -> Any:
        try:
            answer = self._seen[value]
        except KeyError:
            try:
                answer = self._parse(value)
            except _Invalid as invalid:
                answer = invalid
            self._seen[value] = answer
        if isinstance(answer, _Invalid):
            raise answer
        return answer


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise _Invalid(
            "not a date in the form YYYY-MM-DD (e.g. 2026-03-14); if a spreadsheet changed it, "
            "format the column as text"
        )
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(f"no such day ({exc}); write a real date as YYYY-MM-DD") from None


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def parse_bool(value: str) -> bool:
    folded = value.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise _Invalid("not true or false; write true/false, yes/no or 1/0")


_INTEGER = re.compile(r"[+-]?\d+")


def parse_count(value: str) -> int:
    """A whole number, 0 or more."""
    if not _INTEGER.fullmatch(value):
        raise _Invalid("not a whole number; write digits only, e.g. 3")
    number = int(value)
    if number < 0:
        raise _Invalid("must be 0 or more")
    return number


def _coordinate(limit: int) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise _Invalid("not a number; write decimal degrees, e.g. 29.76") from None
        if not -limit <= number <= limit:  # also refuses nan
            raise _Invalid(f"must be between -{limit} and {limit} (decimal degrees)")
        return number

    return parse


parse_latitude = _coordinate(90)
parse_longitude = _coordinate(180)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def parse_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise _Invalid("not an email address; write it as name@example.org")
    return value


_A_NUMBER_SEPARATORS = re.compile(r"[\s-]+")


def parse_a_number(value: str) -> str:
    """9 digits from `A123-456-789`, `A 123 456 789`, `123456789`, or 8 digits with a 0 added."""
    digits = _A_NUMBER_SEPARATORS.sub("", value)
    if digits[:1] in ("A", "a"):
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit():
        raise _Invalid(
            "an A-number is 9 digits, optionally written with a leading A and dashes "
            "(e.g. A123-456-789)"
        )
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9:
        raise _Invalid(f"an A-number has 9 digits, this one has {len(digits)}")
    return digits


def parse_sex(value: str) -> str:
    upper = value.upper()
    if upper not in ("F", "M", "X"):
        raise _Invalid("sex must be F, M or X")
    return upper


def _choice(enum_cls: type[T], what: str) -> Callable[[str], T]:
    values = [member.value for member in enum_cls]  # type: ignore[attr-defined]

    def parse(value: str) -> T:
        key = re.sub(r"[\s-]+", "_", value.strip()).casefold()
        if key in values:
            return enum_cls(key)  # type: ignore[call-arg]
        close = difflib.get_close_matches(key, values, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise _Invalid(f"unknown {what} '{value}'; {hint}use one of {', '.join(values)}")

    return parse


parse_case_type = _choice(CaseType, "case type")
parse_language_level = _choice(LanguageLevel, "language level")
parse_expertise_level = _choice(ExpertiseLevel, "expertise level")

# Bar admissions: the states, DC and the inhabited territories (pycountry's US subdivisions).
US_STATE_CODES = frozenset(
    sub.code.removeprefix("US-")
    for sub in pycountry.subdivisions.get(country_code="US")  # type: ignore[no-untyped-call]
    if sub.code != "US-UM"
)


def parse_state(value: str) -> str:
    upper = value.upper()
    if upper not in US_STATE_CODES:
        raise _Invalid("not a US state; write its two-letter postal code, e.g. TX")
    return upper


def _max_length(attribute: InstrumentedAttribute[Any]) -> int:
    column_type = attribute.property.columns[0].type
    assert isinstance(column_type, String) and column_type.length is not None
    return column_type.length


def _text(attribute: InstrumentedAttribute[Any]) -> Callable[[str], str]:
    limit = _max_length(attribute)

    def parse(value: str) -> str:
        if len(value) > limit:
            raise _Invalid(f"too long: {len(value)} characters, at most {limit}")
        return value

    return parse


class _Lookups:
    """What the database knows, fetched once per import: courts and the language catalogue."""

    def __init__(self, session: Session) -> None:
        self.catalogue = language_catalogue(session)
        languages = session.execute(select(Language.code, Language.id, Language.name)).all()
        self.language_ids = {code: language_id for code, language_id, _name in languages}
        self._language_names = [(code, name) for code, _id, name in languages]
        self._codes_by_name: dict[str, list[str]] | None = None
        courts = session.execute(select(Court.code, Court.id, Court.city)).all()
        self.court_ids = {code: court_id for code, court_id, _city in courts}
        self._courts_by_city: dict[str, list[str]] = {}
        for code, _id, city in courts:
            self._courts_by_city.setdefault(city.casefold(), []).append(code)
        self.language = _Memo(self._language)
        self.court = _Memo(self._court)

    def _language(self, value: str) -> int:
        code = self.catalogue.resolve(value)
        if code is None or code not in self.language_ids:
            shared_by = self._codes_named(value)
            if len(shared_by) > 1:
                raise _Invalid(
                    f"'{value}' names more than one language ({', '.join(shared_by)}); write "
                    "the ISO 639-3 code of the one meant"
                )
            close = self.catalogue.suggest(value)
            hint = f"did you mean '{close}'? " if close else ""
            raise _Invalid(
                f"unknown language '{value}'; {hint}write its name as in the language list "
                "(e.g. Spanish, K'iche', Mam) or its ISO 639-3 code"
            )
        return self.language_ids[code]

    def _codes_named(self, value: str) -> list[str]:
        """The codes of the languages whose name folds like `value` (more than one: ambiguous)."""
        if self._codes_by_name is None:
            self._codes_by_name = {}
            for code, name in self._language_names:
                self._codes_by_name.setdefault(fold(name), []).append(code)
        return sorted(self._codes_by_name.get(fold(value), []))

    def _court(self, value: str) -> int:
        code = value.upper()
        if code in self.court_ids:
            return self.court_ids[code]
        in_city = self._courts_by_city.get(value.casefold())
        if in_city:
            hint = f"did you mean {' or '.join(repr(c) for c in sorted(in_city))}? "
        else:
            close = difflib.get_close_matches(code, list(self.court_ids), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
        raise _Invalid(
            f"unknown court code '{value}'; {hint}use a code from the court list (e.g. HOU)"
        )


_MISSING: Any = object()


class _Row:
    """Reads the cells of one row, recording every problem instead of stopping at the first."""

    __slots__ = ("line", "cells", "errors", "ok")

    def __init__(self, line: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.line = line
        self.cells = cells
        self.errors = errors
        self.ok = True

    def fail(self, column: str, message: str, value: str | None = None) -> None:
        shown = self.cells.get(column, "") if value is None else value
        if column in _SENSITIVE_COLUMNS:
            shown = _masked(shown)
        self.errors.append(RowError(self.line, column, shown, message))
        self.ok = False

    def required(self, column: str, parse: Callable[[str], T]) -> T:
        """The parsed cell; on a problem, records it and returns a placeholder (row.ok is False)."""
        value = self.cells[column]
        if not value:
            self.fail(column, "a value is required here")
            return _MISSING  # type: ignore[no-any-return]
        return self._parse(column, value, parse)

    def optional(self, column: str, parse: Callable[[str], T]) -> T | None:
        value = self.cells[column]
        if not value:
            return None
        return self._parse(column, value, parse)

    def _parse(self, column: str, value: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(value)
        except _Invalid as invalid:
            self.fail(column, invalid.message)
            return _MISSING  # type: ignore[no-any-return]

    def items(self, column: str) -> list[str]:
        """The `;`-separated items of a list cell (empty items, as from a trailing `;`, dropped)."""
        return [item.strip() for item in self.cells[column].split(LIST_SEPARATOR) if item.strip()]

    def each(self, column: str, parse: Callable[[str], T]) -> list[T]:
        """Every item of a list cell parsed; each bad item is its own error."""
        parsed = []
        for item in self.items(column):
            try:
                parsed.append(parse(item))
            except _Invalid as invalid:
                self.fail(column, invalid.message, item)
        return parsed

    def pairs(
        self,
        column: str,
        parse_key: Callable[[str], Any],
        parse_level: Callable[[str], Any],
        *,
        example: str,
    ) -> dict[Any, Any]:
        """`key:level` items; a key listed twice is an error (which level would be meant?)."""
        result: dict[Any, Any] = {}
        for item in self.items(column):
            key_text, colon, level_text = item.rpartition(":")
            if not colon:
                self.fail(column, f"write each item as name:level, e.g. {example}", item)
                continue
            try:
                key = parse_key(key_text.strip())
                level = parse_level(level_text.strip())
            except _Invalid as invalid:
                self.fail(column, invalid.message, item)
                continue
            if key in result:
                self.fail(column, "listed twice; keep one level for it", item)
                continue
            result[key] = level
        return result

    def both_or_neither(self, first: str, second: str) -> None:
        """Two cells that only make sense together (coordinates, leave dates)."""
        given = (bool(self.cells[first]), bool(self.cells[second]))
        if given == (True, False):
            self.fail(
                second, f"{first} is given, so {second} is required too (or leave both empty)"
            )
        elif given == (False, True):
            self.fail(first, f"{second} is given, so {first} is required too (or leave both empty)")


def _among(statement: _Select, column: InstrumentedAttribute[Any], keys: set[Any]) -> _Select:
    """`statement` narrowed to rows whose `column` is in `keys` when they are few; the caller
    filters the rows either way (see _IN_LIST_LIMIT)."""
    if len(keys) > _IN_LIST_LIMIT:
        return statement
    return statement.where(column.in_(sorted(keys)))


def _fetch_pairs(
    session: Session,
    key: InstrumentedAttribute[Any],
    value: InstrumentedAttribute[Any],
    wanted: Iterable[Any],
) -> dict[Any, Any]:
    """{key: value} for the rows whose `key` is among `wanted`, in one query."""
    keys = {k for k in wanted if k}
    if not keys:
        return {}
    rows = session.execute(_among(select(key, value), key, keys)).all()
    return {k: v for k, v in rows if k in keys}


def _duplicates(
    rows: Iterable[tuple[int, Any, str]], errors: list[RowError], column: str, message: str
) -> None:
    """One error per repeat of a key in (line, key, cell) rows; `message` is formatted with the
    line the key was first on. Empty keys are left to the required-value check."""
    first_line: dict[Any, int] = {}
    for line, key, cell in rows:
        if not key:
            continue
        if key in first_line:
            shown = _masked(cell) if column in _SENSITIVE_COLUMNS else cell
            errors.append(RowError(line, column, shown, message.format(first_line[key])))
        else:
            first_line[key] = line


# --- the plan: validated records, ready to write ----------------------------------------------


@dataclass
class _Plan:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    # external_id -> database id of the records that exist already
    existing: dict[str, int] = field(default_factory=dict)


@dataclass
class _ChildRecord:
    line: int
    values: dict[str, Any]
    other_language_ids: list[int]
    sibling_group: str | None


@dataclass
class _ChildPlan(_Plan):
    records: list[_ChildRecord] = field(default_factory=list)
    # Recorded children of this file whose A-number another row of it takes.
    giving_up_a_number: list[int] = field(default_factory=list)


def _validate_children(session: Session, cells: _Cells) -> _ChildPlan:
    plan = _ChildPlan()
    errors = plan.errors
    lookups = _Lookups(session)
    today = utcnow().date()
    date_ = _Memo(parse_date)
    case_type = _Memo(parse_case_type)
    external_id = _text(Child.external_id)
    first_name = _text(Child.first_name)
    last_name = _text(Child.last_name)
    country = _text(Child.country_of_origin)
    sibling_key = _text(SiblingGroup.external_id)
    lines: dict[str, int] = {}
    for line, row_cells in cells.rows():
        row = _Row(line, row_cells, errors)
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
    _duplicates(
        ((line, row["external_id"], row["external_id"]) for line, row in cells.rows()),
        errors,
        "external_id",
        "also on line {}; each child has one row (a re-import updates the child)",
    )
    a_numbers = [(r.line, r.values["a_number"], r.values["a_number"]) for r in plan.records]
    _duplicates(
        a_numbers, errors, "a_number", "the same A-number is on line {}; each child has their own"
    )
    owners = _fetch_pairs(
        session, Child.a_number, Child.external_id, (a for _line, a, _cell in a_numbers if a)
    )
    plan.existing = _fetch_pairs(session, Child.external_id, Child.id, lines)
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
                    _masked(record.values["a_number"]),
                    f"this A-number belongs to another child already recorded (external_id "
                    f"'{owner}'); correct it, or update that child instead",
                )
            )
    plan.updated = sum(1 for r in plan.records if r.values["external_id"] in plan.existing)
    plan.created = len(plan.records) - plan.updated
    return plan


def _write_children(session: Session, plan: _Plan) -> None:
    assert isinstance(plan, _ChildPlan)
    group_keys = sorted({r.sibling_group for r in plan.records if r.sibling_group})
    group_ids = _fetch_pairs(session, SiblingGroup.external_id, SiblingGroup.id, group_keys)
    new_groups = [{"external_id": key} for key in group_keys if key not in group_ids]
    group_ids.update(_insert_by_external_id(session, SiblingGroup, new_groups))
    for record in plan.records:
        record.values["sibling_group_id"] = group_ids.get(record.sibling_group)
    # An A-number moving between children of this file is first released, so that no
    # intermediate state of the bulk update holds it twice.
    if plan.giving_up_a_number:
        released = [{"id": i, "a_number": None} for i in plan.giving_up_a_number]
        session.execute(update(Child), released)
    ids = _upsert(session, Child, [r.values for r in plan.records], plan.existing)
    _delete_for(session, ChildLanguage.child_id, list(plan.existing.values()))
    _insert_rows(
        session,
        ChildLanguage,
        [
            {"child_id": child_id, "language_id": language_id}
            for child_id, record in zip(ids, plan.records, strict=True)
            for language_id in record.other_language_ids
        ],
    )


def _insert_rows(session: Session, entity: Any, rows: list[dict[str, Any]]) -> None:
    # Core executemany: the ORM's bulk path with RETURNING is quadratic over many batches.
    if rows:
        session.execute(insert(entity.__table__), rows)


def _insert_by_external_id(
    session: Session, entity: Any, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert rows that each have an external_id; returns external_id -> new id."""
    if not rows:
        return {}
    # Ids only grow (a sequence, or SQLite's max rowid + 1 under the write lock), so the new rows
    # are those above the highest id now: one range query on the primary key finds them.
    highest = session.scalar(select(func.max(entity.id))) or 0
    _insert_rows(session, entity, rows)
    return dict(
        session.execute(select(entity.external_id, entity.id).where(entity.id > highest)).all()
    )


def _upsert(
    session: Session, entity: Any, rows: list[dict[str, Any]], existing: dict[str, int]
) -> list[int]:
    """Update the rows whose external_id exists (by primary key), insert the others; returns
    the database id of each row, in order."""
    updates = [
        {"id": existing[r["external_id"]], **r} for r in rows if r["external_id"] in existing
    ]
    if updates:
        session.execute(update(entity), updates)
    created = _insert_by_external_id(
        session, entity, [r for r in rows if r["external_id"] not in existing]
    )
    return [existing.get(r["external_id"]) or created[r["external_id"]] for r in rows]


def _delete_for(session: Session, column: InstrumentedAttribute[int], ids: list[int]) -> None:
    """Delete the rows whose `column` (a parent's id, first in an index) is one of `ids`."""
    if ids:
        table = column.class_.__table__
        statement = delete(table).where(table.c[column.key] == bindparam("parent_id"))
        session.execute(statement, [{"parent_id": i} for i in ids])


@dataclass
class _AttorneyRecord:
    values: dict[str, Any]
    languages: dict[int, LanguageLevel]
    court_ids: list[int]
    states: list[str]
    expertise: dict[CaseType, ExpertiseLevel]
    leave: tuple[date, date] | None


@dataclass
class _AttorneyPlan(_Plan):
    records: list[_AttorneyRecord] = field(default_factory=list)


def _validate_attorneys(session: Session, cells: _Cells) -> _AttorneyPlan:
    plan = _AttorneyPlan()
    errors = plan.errors
    lookups = _Lookups(session)
    date_ = _Memo(parse_date)
    external_id = _text(Attorney.external_id)
    name = _text(Attorney.name)
    firm = _text(Attorney.firm)
    email = _text(Attorney.email)
    lines: dict[str, int] = {}
    for line, row_cells in cells.rows():
        row = _Row(line, row_cells, errors)
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
    _duplicates(
        ((line, row["external_id"], row["external_id"]) for line, row in cells.rows()),
        errors,
        "external_id",
        "also on line {}; each attorney has one row (a re-import updates the attorney)",
    )
    plan.existing = _fetch_pairs(session, Attorney.external_id, Attorney.id, lines)
    plan.updated = sum(1 for r in plan.records if r.values["external_id"] in plan.existing)
    plan.created = len(plan.records) - plan.updated
    return plan


_ATTORNEY_LISTS = (AttorneyLanguage, AttorneyCourt, AttorneyState, AttorneyExpertise, LeavePeriod)


def _write_attorneys(session: Session, plan: _Plan) -> None:
    assert isinstance(plan, _AttorneyPlan)
    ids = _upsert(session, Attorney, [r.values for r in plan.records], plan.existing)
    updated_ids = list(plan.existing.values())
    for entity in _ATTORNEY_LISTS:
        _delete_for(session, entity.attorney_id, updated_ids)
    pairs = list(zip(ids, plan.records, strict=True))
    _insert_rows(
        session,
        AttorneyLanguage,
        [
            {"attorney_id": i, "language_id": language_id, "level": level}
            for i, r in pairs
            for language_id, level in r.languages.items()
        ],
    )
    _insert_rows(
        session,
        AttorneyCourt,
        [{"attorney_id": i, "court_id": court_id} for i, r in pairs for court_id in r.court_ids],
    )
    _insert_rows(
        session, AttorneyState, [{"attorney_id": i, "state": s} for i, r in pairs for s in r.states]
    )
    _insert_rows(
        session,
        AttorneyExpertise,
        [
            {"attorney_id": i, "case_type": case_type, "level": level}
            for i, r in pairs
            for case_type, level in r.expertise.items()
        ],
    )
    _insert_rows(
        session,
        LeavePeriod,
        [
            {"attorney_id": i, "start_date": r.leave[0], "end_date": r.leave[1]}
            for i, r in pairs
            if r.leave
        ],
    )


@dataclass
class _ConflictPlan(_Plan):
    # (attorney id, child id, reason, existing conflict id or None)
    records: list[tuple[int, int, str, int | None]] = field(default_factory=list)


def _validate_conflicts(session: Session, cells: _Cells) -> _ConflictPlan:
    plan = _ConflictPlan()
    errors = plan.errors
    rows = list(cells.rows())
    attorneys = _fetch_pairs(
        session, Attorney.external_id, Attorney.id, (c["attorney_external_id"] for _l, c in rows)
    )
    children = _fetch_pairs(
        session, Child.external_id, Child.id, (c["child_external_id"] for _l, c in rows)
    )

    def known(found: dict[str, int], what: str, file: str) -> Callable[[str], int]:
        def parse(value: str) -> int:
            if value not in found:
                raise _Invalid(
                    f"no {what} with this external_id is recorded; import the {file} file "
                    "first, or correct the id"
                )
            return found[value]

        return parse

    attorney = known(attorneys, "attorney", "attorneys")
    child = known(children, "child", "children")
    pairs: list[tuple[int, tuple[int, int], str]] = []
    for line, row_cells in rows:
        row = _Row(line, row_cells, errors)
        attorney_id = row.required("attorney_external_id", attorney)
        child_id = row.required("child_external_id", child)
        if row.ok:
            pairs.append((line, (attorney_id, child_id), row_cells["child_external_id"]))
            plan.records.append((attorney_id, child_id, row_cells["reason"], None))
    _duplicates(
        pairs,
        errors,
        "child_external_id",
        "this attorney and child are already paired on line {}; keep one row per pair",
    )
    wanted = {(a, c) for a, c, _r, _e in plan.records}
    recorded = session.execute(
        _among(
            select(Conflict.attorney_id, Conflict.child_id, Conflict.id),
            Conflict.child_id,
            {c for _a, c in wanted},
        )
    ).all()
    existing = {(a, c): conflict_id for a, c, conflict_id in recorded if (a, c) in wanted}
    plan.records = [(a, c, r, existing.get((a, c))) for a, c, r, _e in plan.records]
    plan.updated = sum(1 for record in plan.records if record[3] is not None)
    plan.created = len(plan.records) - plan.updated
    return plan


def _write_conflicts(session: Session, plan: _Plan) -> None:
    assert isinstance(plan, _ConflictPlan)
    new = [
        {"attorney_id": a, "child_id": c, "reason": r} for a, c, r, e in plan.records if e is None
    ]
    old = [{"id": e, "reason": r} for _a, _c, r, e in plan.records if e is not None]
    _insert_rows(session, Conflict, new)
    if old:
        session.execute(update(Conflict), old)


# The kinds `counselmatch import` offers: how each is validated, then written.
IMPORTERS: dict[
    CsvKind, tuple[Callable[[Session, _Cells], _Plan], Callable[[Session, _Plan], None]]
] = {
    CsvKind.CHILDREN: (_validate_children, _write_children),
    CsvKind.ATTORNEYS: (_validate_attorneys, _write_attorneys),
    CsvKind.CONFLICTS: (_validate_conflicts, _write_conflicts),
}
