"""GET /children/unmatched: every child still without an attorney, and why."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import and_, exists, func, select

from models.capacity import CAPACITY_HOLDING_STATUSES
from models.entities import CaseStatus, Child, Court, Language, Match, MatchStatus, UnmatchedChild
from models.queries import latest_succeeded_run, tier_expression
from models.reasons import REASON_LABELS, reason_label

from ..extensions import get_session
from ..pagination import paginate
from . import bp
from .explanations import (
    NOT_YET_CONSIDERED,
    NOT_YET_CONSIDERED_LABEL,
    attorney_counts,
    closest_attorneys,
    summarise_unmatched,
)
from .filters import filter_choices, filter_conditions
from .forms import UnmatchedFilterForm
from .pages import render_list_page

# A child with one of these matches is spoken for or proposed: not on the unmatched list.
ACTIVE_MATCH_STATUSES = (MatchStatus.PROPOSED, *CAPACITY_HOLDING_STATUSES)


@bp.route("/children/unmatched")
def unmatched() -> str:
    """Open children with no attorney and nothing proposed or offered, most urgent first, with
    the latest successful run's reason and the attorneys who came closest."""
    session = get_session()
    today = date.today()
    latest = latest_succeeded_run(session)
    tier = tier_expression(today)
    listed = [
        Child.case_status == CaseStatus.OPEN,
        ~exists().where(Match.child_id == Child.id, Match.status.in_(ACTIVE_MATCH_STATUSES)),
    ]
    # Choices from every open case: nearly the same list, without the costly "no match" test.
    choices = filter_choices(session, [Child.case_status == CaseStatus.OPEN])
    form = UnmatchedFilterForm()
    form.set_choices(courts=choices.court_options(), languages=choices.language_options())
    form.set_reasons([*REASON_LABELS.items(), (NOT_YET_CONSIDERED, NOT_YET_CONSIDERED_LABEL)])
    chosen = form.chosen()
    conditions = [*listed, *filter_conditions(chosen, choices, tier)]
    reason = chosen.get("reason")
    if reason == NOT_YET_CONSIDERED:
        conditions.append(UnmatchedChild.id.is_(None))
    elif reason:
        conditions.append(UnmatchedChild.reason == reason)
    on_latest_run = and_(
        UnmatchedChild.child_id == Child.id,
        UnmatchedChild.run_id == (latest.id if latest else -1),
    )
    page = paginate(
        session,
        select(Child, Court.code, Court.city, Language.name, tier.label("tier"), UnmatchedChild)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .outerjoin(UnmatchedChild, on_latest_run)
        .where(*conditions)
        .order_by(tier, Child.next_hearing_date.asc().nulls_last(), Child.id),
        scalars=False,
    )
    summary = None
    if latest is not None:
        summary = summarise_unmatched(
            session, [UnmatchedChild.run_id == latest.id, *conditions], tier
        )
    not_considered = (
        session.scalar(
            select(func.count())
            .select_from(Child)
            .outerjoin(UnmatchedChild, on_latest_run)
            .where(*conditions, UnmatchedChild.id.is_(None))
        )
        or 0
    )
    closest = closest_attorneys(
        session,
        {
            row.Child.id: list(row.UnmatchedChild.closest_attorney_ids)
            for row in page.items
            if row.UnmatchedChild is not None
        },
        today,
    )
    return render_list_page(
        "coordinator/unmatched.html",
        form,
        chosen,
        page,
        latest=latest,
        summary=summary,
        not_considered=not_considered,
        closest=closest,
        today=today,
        reason_label=reason_label,
        attorney_counts=attorney_counts,
        not_yet_considered_label=NOT_YET_CONSIDERED_LABEL,
        child_page="coordinator.child" in current_app.view_functions,
    )
