"""The database side of an import: lookups by key in one query, writes in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

_Select = TypeVar("_Select", bound="Select[*tuple[Any, ...]]")

# The longest IN (...) list a lookup sends; more keys are matched against one scan of the table.
# PostgreSQL plans a statement that runs repeatedly once, generically, and a generic plan searches
# a long IN list element by element for every row: 50 lookups of 1,000 keys took 70 s, not 1 s.
_IN_LIST_LIMIT = 100


def among(statement: _Select, column: InstrumentedAttribute[Any], keys: set[Any]) -> _Select:
    """`statement` narrowed to rows whose `column` is in `keys` when they are few; the caller
    filters the rows either way (see _IN_LIST_LIMIT)."""
    if len(keys) > _IN_LIST_LIMIT:
        return statement
    return statement.where(column.in_(sorted(keys)))


def fetch_pairs(
    session: Session,
    key: InstrumentedAttribute[Any],
    value: InstrumentedAttribute[Any],
    wanted: Iterable[Any],
) -> dict[Any, Any]:
    """{key: value} for the rows whose `key` is among `wanted`, in one query."""
    keys = {k for k in wanted if k}
    if not keys:
        return {}
    rows = session.execute(among(select(key, value), key, keys)).all()
    return {k: v for k, v in rows if k in keys}


def insert_rows(session: Session, entity: Any, rows: list[dict[str, Any]]) -> None:
    # Core executemany: the ORM's bulk path with RETURNING is quadratic over many batches.
    if rows:
        session.execute(insert(entity.__table__), rows)


def insert_by_external_id(
    session: Session, entity: Any, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert rows that each have an external_id; returns external_id -> new id."""
    if not rows:
        return {}
    # Ids only grow (a sequence, or SQLite's max rowid + 1 under the write lock), so the new rows
    # are those above the highest id now: one range query on the primary key finds them.
    highest = session.scalar(select(func.max(entity.id))) or 0
    insert_rows(session, entity, rows)
    return dict(
        session.execute(select(entity.external_id, entity.id).where(entity.id > highest)).all()
    )


def upsert(
    session: Session, entity: Any, rows: list[dict[str, Any]], existing: dict[str, int]
) -> list[int]:
    """Update the rows whose external_id exists (by primary key), insert the others; returns
    the database id of each row, in order."""
    updates = [
        {"id": existing[r["external_id"]], **r} for r in rows if r["external_id"] in existing
    ]
    if updates:
        session.execute(update(entity), updates)
    created = insert_by_external_id(
        session, entity, [r for r in rows if r["external_id"] not in existing]
    )
    return [existing.get(r["external_id"]) or created[r["external_id"]] for r in rows]


def delete_for(session: Session, column: InstrumentedAttribute[int], ids: list[int]) -> None:
    """Delete the rows whose `column` (a parent's id, first in an index) is one of `ids`."""
    if ids:
        table = column.class_.__table__
        statement = delete(table).where(table.c[column.key] == bindparam("parent_id"))
        session.execute(statement, [{"parent_id": i} for i in ids])
