"""Spreadsheet import (DESIGN.md "Command line and files"): all or nothing, every problem reported.

A file goes through three steps: bytes to text (UTF-8, a byte-order mark allowed; else
Windows-1252 when the whole file decodes as that, said in the summary), text to cells
(pandas, every cell a string), cells to records (each column parsed, then the checks across rows and
against the database). Only when no step found a problem are the records written, in bulk.

Leniency, all of it lossless: column names ignore case, surrounding spaces and `-`/space versus `_`;
cells are stripped of surrounding spaces; wholly empty rows are skipped; court codes, sex and states
ignore case; booleans accept true/false, yes/no, 1/0. An A-number may be written `A123-456-789`,
`A 123 456 789` or `123456789` (a leading `A`, spaces and dashes are dropped) and is stored as 9
digits; one of 8 digits gets a leading 0, as USCIS instructs and as a spreadsheet that dropped the
zero needs.

The modules: `reading` (the file to cells), `cells` (one cell to a value), `rows` (one row to a
record, repeats across rows), `bulk` (database lookups and writes), one module per kind
(`children`, `attorneys`, `conflicts`) and `errors` (what is reported).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from .. import audit
from ..csv_formats import CsvKind
from ..entities import User
from .attorneys import validate_attorneys, write_attorneys
from .cells import (
    US_STATE_CODES,
    parse_a_number,
    parse_bool,
    parse_case_type,
    parse_count,
    parse_date,
    parse_email,
    parse_expertise_level,
    parse_language_level,
    parse_latitude,
    parse_longitude,
    parse_sex,
    parse_state,
)
from .children import validate_children, write_children
from .conflicts import validate_conflicts, write_conflicts
from .errors import ImportFailed, RowError, in_file_order
from .reading import UTF_8, Cells, read_cells, read_source
from .rows import Plan

__all__ = [
    "IMPORTERS",
    "US_STATE_CODES",
    "ImportFailed",
    "ImportSummary",
    "RowError",
    "import_csv",
    "parse_a_number",
    "parse_bool",
    "parse_case_type",
    "parse_count",
    "parse_date",
    "parse_email",
    "parse_expertise_level",
    "parse_language_level",
    "parse_latitude",
    "parse_longitude",
    "parse_sex",
    "parse_state",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSummary:
    kind: CsvKind
    rows: int
    created: int
    updated: int
    encoding: str = UTF_8  # how the file's bytes were read

    @property
    def read_as(self) -> str:
        """A sentence for the summary when the file was not UTF-8, else empty."""
        if self.encoding == UTF_8:
            return ""
        return f" The file is not UTF-8: it was read as {self.encoding}."


def import_csv(
    session: Session,
    kind: CsvKind,
    source: str | Path | bytes | BinaryIO,
    *,
    actor: User | str,
    filename: str | None = None,
    dry_run: bool = False,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Validate every row of a CSV file, then (unless `dry_run`) write them all in the caller's
    transaction and record one audit event. Raises ImportFailed, having written nothing, when any
    row is wrong.

    `source` is a path (str or Path), the file's bytes, or a binary file object: a CSV file, or
    an Excel workbook (.xlsx) whose sheet `sheet` (else the first) is read as one. `mapping`:
    the file's column names -> ours (or "ignore"), for columns it names otherwise.
    """
    data, shown_name = read_source(source)
    filename = filename or shown_name
    cells = read_cells(data, kind, filename, sheet, mapping)
    validate, write = IMPORTERS[kind]
    plan = validate(session, cells)
    if plan.errors:
        raise ImportFailed(filename, in_file_order(plan.errors, kind))
    summary = ImportSummary(
        kind,
        rows=len(cells.lines),
        created=plan.created,
        updated=plan.updated,
        encoding=cells.encoding,
    )
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


# The kinds `counselmatch import` offers: how each is validated, then written.
IMPORTERS: dict[
    CsvKind, tuple[Callable[[Session, Cells], Plan], Callable[[Session, Plan], None]]
] = {
    CsvKind.CHILDREN: (validate_children, write_children),
    CsvKind.ATTORNEYS: (validate_attorneys, write_attorneys),
    CsvKind.CONFLICTS: (validate_conflicts, write_conflicts),
}
