"""What several coordinator pages share: a filtered list page, and a page about one child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Child, Court, Language
from models.queries import tier_expression

from ..pagination import Page
from .explanations import court_label
from .forms import FilterForm


def render_list_page(
    template: str, form: FilterForm, chosen: dict[str, Any], page: Page[Any], **context: Any
) -> str:
    """A list under its filter form (`form`, whose valid filters are `chosen`), one `page` of it."""
    return render_template(template, form=form, filtered=bool(chosen), page=page, **context)


@dataclass(frozen=True)
class ChildRow:
    """A child with what every page about them shows in its heading."""

    child: Child
    court: str  # court_label of the child's court
    primary_language: str
    tier: int  # today's


def load_child(session: Session, child_id: int) -> ChildRow:
    """The child `child_id` with their court, language and tier today: one query; 404 if none."""
    row = session.execute(
        select(Child, Court.code, Court.city, Language.name, tier_expression(date.today()))
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(Child.id == child_id)
    ).one_or_none()
    if row is None:
        abort(404)
    child, code, city, language, tier = row
    return ChildRow(child, court_label(city, code), language, tier)


def render_child_page(template: str, row: ChildRow, today: date, **context: Any) -> str:
    """A page about one child (theirs, or a decision on their case)."""
    return render_template(template, child=row.child, court=row.court, today=today, **context)
