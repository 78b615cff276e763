"""Small record builders and a statement counter shared by the models' count tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event
from sqlalchemy.orm import Session

from fixtures import factories as f
from models.entities import Attorney, CaseStatus, Child, Match, MatchStatus


def child(
    external_id: str,
    *,
    hearing: date | None = None,
    detained: bool = False,
    case_status: CaseStatus = CaseStatus.OPEN,
) -> Child:
    return f.ChildFactory(
        external_id=external_id,
        next_hearing_date=hearing,
        detained=detained,
        case_status=case_status,
    )


def attorney(
    external_id: str,
    *,
    capacity: int = 3,
    imported_active_cases: int = 0,
    active: bool = True,
    leave: tuple[date, date] | None = None,
) -> Attorney:
    return f.AttorneyFactory(
        external_id=external_id,
        name=f"Attorney {external_id}",
        capacity=capacity,
        imported_active_cases=imported_active_cases,
        active=active,
        leave=[leave] if leave else [],
    )


def match(of_child: Child, to_attorney: Attorney, status: MatchStatus) -> Match:
    return f.MatchFactory(child=of_child, attorney=to_attorney, status=status)


@contextmanager
def count_statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs inside the block."""
    statements: list[str] = []
    engine = session.get_bind()

    def remember(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)
