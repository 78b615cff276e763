"""Pages of a long list: one COUNT and one LIMIT/OFFSET query, whatever the list's length."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # 1-based
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_shown(self) -> int:
        """The position (1-based) of the first item shown; 0 for an empty list."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)


def requested_page() -> int:
    """The `page` query argument; anything but a positive number means the first page."""
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and int(raw) >= 1 else 1


def paginate(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    *,
    scalars: bool = True,
    number: int | None = None,
) -> Page[Any]:
    """One page of `statement` (which must be ordered), the request's page by default.

    A page past the end shows the last one, so a list that shrank since the link was made (a
    proposal confirmed, a filter narrowed) still shows something rather than an error.
    """
    per_page = int(current_app.config["PAGE_SIZE"])
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    total = total or 0
    number = min(number or requested_page(), max(1, -(-total // per_page)))
    limited = statement.limit(per_page).offset((number - 1) * per_page)
    items: Sequence[Any] = (
        session.scalars(limited).all() if scalars else session.execute(limited).all()
    )
    return Page(items=items, number=number, per_page=per_page, total=total)
