"""POST /attorneys/<id>/invite and POST /attorneys/invite: accounts for attorneys by invitation.

Coordinators and administrators both invite (these two views name their roles; every other
coordinator page stays coordinator-only). The e-mail carries a 72-hour one-time link and no
child data; each invitation is audited (models.accounts.invite_attorney).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from models import accounts
from models.entities import Attorney, Role

from ..extensions import get_session
from ..security import is_safe_next, role_required, signed_in_user, site_base_url
from . import bp


class InviteForm(FlaskForm):
    """Only the CSRF token: the attorney is in the address."""


def _back() -> Response:
    """To the page the form was on (its `next`, a path on this site), else home."""
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("home.index"))


@bp.route("/attorneys/<id:attorney_id>/invite", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def invite_attorney(attorney_id: int) -> Response:
    form = InviteForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    with db.begin():
        if db.get(Attorney, attorney_id) is None:
            abort(404)
        try:
            user = accounts.invite_attorney(db, attorney_id, signed_in_user(), site_base_url())
        except accounts.InvitationRefused as refusal:
            message, category = str(refusal), "error"
        else:
            message = f"Invitation sent to {user.email}; the link works for 72 hours."
            category = "info"
    flash(message, category)
    return _back()


@bp.route("/attorneys/invite", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def invite_attorneys() -> Response:
    form = InviteForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    with db.begin():
        outcome = accounts.invite_uninvited_attorneys(db, signed_in_user(), site_base_url())
    noun = "attorney" if outcome.invited == 1 else "attorneys"
    flash(f"Invitations sent to {outcome.invited} {noun} without an account.", "info")
    for reason in outcome.refused.values():
        flash(reason, "error")
    return _back()
