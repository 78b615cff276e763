"""GET /volunteers (profiles offered through /volunteer, awaiting an answer) and POST approve /
decline of one. Approving activates the profile (the coordinator then invites the attorney);
declining keeps it inactive. Both are refused with a message when the profile is not pending."""

from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import HiddenField, SubmitField

from models.entities import AttorneyCourt, AttorneyLanguage, Court, Language
from models.volunteers import (
    VolunteerRefused,
    approve_volunteer,
    decline_volunteer,
    pending_volunteers,
)

from ..extensions import get_session
from ..security import is_safe_next, signed_in_user
from . import bp


class VolunteerDecisionForm(FlaskForm):
    """Approve or decline (the button's action says which); `return_to` is the page it came from."""

    return_to = HiddenField()
    submit = SubmitField()


@bp.route("/volunteers")
def volunteers() -> str:
    session = get_session()
    with session.begin():
        pending = pending_volunteers(session)
        ids = [attorney.id for attorney in pending]
        languages: dict[int, list[str]] = defaultdict(list)
        for attorney_id, name, level in session.execute(
            select(AttorneyLanguage.attorney_id, Language.name, AttorneyLanguage.level)
            .join(Language, Language.id == AttorneyLanguage.language_id)
            .where(AttorneyLanguage.attorney_id.in_(ids))
            .order_by(Language.name)
        ).all():
            languages[attorney_id].append(f"{name} ({level.value})")
        courts: dict[int, list[str]] = defaultdict(list)
        for attorney_id, code in session.execute(
            select(AttorneyCourt.attorney_id, Court.code)
            .join(Court, Court.id == AttorneyCourt.court_id)
            .where(AttorneyCourt.attorney_id.in_(ids))
            .order_by(Court.code)
        ).all():
            courts[attorney_id].append(code)
        return render_template(
            "coordinator/volunteers.html",
            pending=pending,
            languages=languages,
            courts=courts,
            return_to=url_for(".volunteers"),
        )


def _decide(attorney_id: int, approve: bool) -> Response:
    form = VolunteerDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    back = form.return_to.data if is_safe_next(form.return_to.data) else url_for(".volunteers")
    session = get_session()
    try:
        with session.begin():
            decide = approve_volunteer if approve else decline_volunteer
            attorney = decide(session, attorney_id, signed_in_user())
            name = attorney.name
    except LookupError:
        abort(404)
    except VolunteerRefused as refused:
        flash(refused.message, "error")
        return redirect(back)
    if approve:
        flash(
            f"{name} is approved: the profile is active and counts from the next nightly match. "
            "Invite them so they can sign in.",
            "success",
        )
    else:
        flash(f"{name} is declined: the profile stays inactive.", "success")
    return redirect(back)


@bp.route("/attorneys/<id:attorney_id>/approve", methods=["POST"], endpoint="approve_volunteer")
def approve_volunteer_profile(attorney_id: int) -> Response:
    return _decide(attorney_id, approve=True)


@bp.route("/attorneys/<id:attorney_id>/decline", methods=["POST"], endpoint="decline_volunteer")
def decline_volunteer_profile(attorney_id: int) -> Response:
    return _decide(attorney_id, approve=False)
