"""Import files built in tests, and imports run as a caller runs them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Attorney, Child, Language
from models.base import Base
from models.csv_formats import COLUMNS, EXAMPLE_ROWS, CsvKind
from models.imports import ImportFailed, ImportSummary, RowError, import_csv
from tests.conftest import REFERENCE_TABLES

CHILDREN, ATTORNEYS, CONFLICTS = CsvKind.CHILDREN, CsvKind.ATTORNEYS, CsvKind.CONFLICTS

# One row of each kind, every cell given, as a coordinator would write it: the upload page's
# example rows with the ids, names, dates and spellings this suite asserts on ("Kiche" must fold to
# K'iche'; names without accents; a second court, DAL).
CHILD = {
    **EXAMPLE_ROWS[CHILDREN],
    "external_id": "C-1",
    "last_name": "Xol",
    "birth_date": "2010-05-01",
    "primary_language": "Kiche",
    "next_hearing_date": "2026-12-01",
    "sibling_group": "XOL",
    "intake_date": "2026-01-05",
}
ATTORNEY = {
    **EXAMPLE_ROWS[ATTORNEYS],
    "external_id": "A-1",
    "name": "Rosa Diaz",
    "firm": "Diaz & Cole LLP",
    "languages": "Spanish:native;English:fluent",
    "courts": "HOU;DAL",
}
CONFLICT = {"attorney_external_id": "A-1", "child_external_id": "C-1", "reason": "family friend"}


def header(kind: CsvKind) -> str:
    return ",".join(COLUMNS[kind])


def lines(kind: CsvKind, *rows: str) -> bytes:
    """A file written line by line, under the header of `kind`."""
    return "\n".join([header(kind), *rows, ""]).encode()


def rows(kind: CsvKind, *cells: dict[str, str]) -> bytes:
    """A file of rows given as {column: value}, quoted as a spreadsheet would."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[kind], lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells)
    return out.getvalue().encode()


def child(**cells: str) -> dict[str, str]:
    return {**CHILD, **cells}


def attorney(**cells: str) -> dict[str, str]:
    return {**ATTORNEY, **cells}


def run(session: Session, kind: CsvKind, data: bytes, **options: object) -> ImportSummary:
    """Import in a transaction of its own, as a caller does."""
    session.commit()  # end the read transaction a previous query opened
    with session.begin():
        return import_csv(session, kind, data, actor="test", filename="in.csv", **options)  # type: ignore[arg-type]


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table but the reference data."""
    return {
        table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)).all())
        for table in Base.metadata.sorted_tables
        if table.name not in REFERENCE_TABLES
    }


def rejected(session: Session, kind: CsvKind, data: bytes, **options: object) -> list[RowError]:
    """The errors of an import that must fail, checking in its own transaction that it wrote
    nothing (so a rollback cannot hide a write)."""
    session.commit()
    with session.begin():
        before = snapshot(session)
        with pytest.raises(ImportFailed) as failed:
            import_csv(session, kind, data, actor="test", filename="in.csv", **options)  # type: ignore[arg-type]
        assert snapshot(session) == before
    assert failed.value.filename == "in.csv"
    return failed.value.errors


def only_error(session: Session, kind: CsvKind, data: bytes) -> RowError:
    errors = rejected(session, kind, data)
    assert len(errors) == 1, errors
    return errors[0]


def by_external_id(session: Session, entity: type[Child] | type[Attorney], external_id: str):
    return session.scalars(select(entity).where(entity.external_id == external_id)).one()


def count(session: Session, entity: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(entity))


LANGUAGE_HINT = (
    "write its name as in the language list (e.g. Spanish, K'iche', Mam) or its ISO 639-3 code"
)


@contextmanager
def languages_sharing_a_name(session: Session) -> Iterator[str]:
    """Two catalogue entries named alike (codes qaa and qab, which ISO 639-3 reserves for local
    use), so that the name resolves to neither; yields the name. Nothing is committed: the
    session is rolled back after, and the entries deleted should anything have committed them."""
    session.commit()
    session.add_all([Language(code=code, name="Shared Name") for code in ("qaa", "qab")])
    session.flush()
    try:
        yield "Shared Name"
    finally:
        session.rollback()
        session.execute(delete(Language).where(Language.code.in_(["qaa", "qab"])))
        session.commit()
