"""GET /attorney: the attorney's overview: capacity and free slots (models.capacity, the one
definition), offers awaiting an answer with their deadlines, open cases, and links."""

from __future__ import annotations

from datetime import date

from flask import render_template

from models import capacity
from models.entities import MatchStatus

from ..extensions import get_session
from . import bp, own_attorney_id
from .records import cases_with_records, offer_rows


@bp.route("")
def overview() -> str:
    session = get_session()
    attorney_id = own_attorney_id()
    as_of = date.today()
    offers = offer_rows(session, attorney_id, as_of)
    open_cases = cases_with_records(session, attorney_id, MatchStatus.ACCEPTED, as_of)
    return render_template(
        "attorney/overview.html",
        load=capacity.attorney_load(session, attorney_id, as_of),
        as_of=as_of,
        offers=offers,
        open_cases=open_cases,
    )
