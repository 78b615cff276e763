"""GET /attorney/offers, GET /attorney/offers/<id>, POST .../accept and .../decline.

An offer shows only what is needed to decide (no name, A-number or birth date); accepting asks
the attorney to confirm they have no conflict of interest, declining asks why. Siblings offered
together are answered together. Another attorney's offer is a 404, whatever its id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional

from models.entities import MatchStatus
from models.offers import MAX_DECLINE_REASON_LENGTH, accept, decline
from models.pair_checks import DecisionRefused
from models.reasons import DECLINE_NOTE_REQUIRED_FOR, DECLINE_REASONS, with_note
from models.settings import offer_deadline, offer_timing

from ..extensions import get_session
from ..security import signed_in_user
from ..validators import no_nul
from . import bp, own_attorney_id
from .forms import at_most
from .records import (
    CASE_STATUSES,
    OFFER_STATUSES,
    offer_facts,
    offer_rows,
    own_match_or_404,
    same_offer,
)


class AcceptForm(FlaskForm):
    no_conflict = BooleanField(
        "I have no conflict of interest",
        validators=[
            DataRequired(message="Confirm that you have no conflict of interest to accept.")
        ],
    )
    accept = SubmitField("Accept the case")


class DeclineForm(FlaskForm):
    why = SelectField(
        "Why do you decline?",
        choices=[
            SelectChoice("", "Choose a reason"),
            *(SelectChoice(code, label) for code, label in DECLINE_REASONS.items()),
        ],
        validators=[DataRequired(message="Say why you decline the offer.")],
    )
    reason = TextAreaField(
        "Anything the coordinators should know",
        description="Coordinators read this; it helps them offer the case well next time. "
        "Needed for Other.",
        validators=[Optional(), at_most(MAX_DECLINE_REASON_LENGTH), no_nul],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then the note "Other" needs (not an inline validator: the note's
        Optional() stops its chain when it is empty)."""
        valid = super().validate(extra_validators)
        if self.why.data in DECLINE_NOTE_REQUIRED_FOR and not (self.reason.data or "").strip():
            self.reason.errors = [
                *self.reason.errors,
                "Say why in a few words: 'Other' needs them.",
            ]
            return False
        return valid

    def stored_reason(self) -> str:
        return with_note(DECLINE_REASONS, self.why.data or "", self.reason.data or "")

    decline = SubmitField("Decline the offer")


@bp.route("/offers")
def offers() -> str:
    rows = offer_rows(get_session(), own_attorney_id(), date.today())
    return render_template("attorney/offers.html", rows=rows)


def _render_offer(
    match_id: int,
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session = get_session()
    match = own_match_or_404(session, match_id, own_attorney_id(), OFFER_STATUSES)
    offer = same_offer(session, match)
    timing = offer_timing(session)
    return (
        render_template(
            "attorney/offer.html",
            match=match,
            open=match.status == MatchStatus.CONFIRMED,
            facts=offer_facts(session, offer, date.today()),
            deadline=offer_deadline(match.offered_at, timing.expiry_days),
            accept_form=accept_form or AcceptForm(formdata=None),
            decline_form=decline_form or DeclineForm(formdata=None),
        ),
        status,
    )


def _of_siblings(count: int) -> str:
    """What an answer's message adds when the offer was of siblings, answered together."""
    return f" of {count} siblings" if count > 1 else ""


@bp.route("/offers/<id:match_id>")
def offer(match_id: int) -> Response | tuple[str, int]:
    session = get_session()
    seen = own_match_or_404(session, match_id, own_attorney_id(), (*OFFER_STATUSES, *CASE_STATUSES))
    if seen.status in CASE_STATUSES:
        # An accepted offer is a case now: its page shows the full record.
        return redirect(url_for("attorney.case", match_id=match_id))
    return _render_offer(match_id)


@bp.route("/offers/<id:match_id>/accept", methods=["POST"])
def accept_offer(match_id: int) -> Response | tuple[str, int]:
    form = AcceptForm()
    if not form.validate_on_submit():
        return _render_offer(match_id, accept_form=form, status=400)
    attorney_id = own_attorney_id()
    session = get_session()
    try:
        with session.begin():
            accepted = accept(
                session, match_id, attorney_id, bool(form.no_conflict.data), signed_in_user()
            )
            count = len(same_offer(session, accepted))
    except LookupError:
        abort(404)
    except DecisionRefused as refused:
        flash(f"The offer was not accepted: {refused}.", "error")
        return redirect(url_for("attorney.offer", match_id=match_id))
    flash(
        f"You accepted the case{_of_siblings(count)}. The child's full record is below.", "success"
    )
    return redirect(url_for("attorney.case", match_id=match_id))


@bp.route("/offers/<id:match_id>/decline", methods=["POST"])
def decline_offer(match_id: int) -> Response | tuple[str, int]:
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_offer(match_id, decline_form=form, status=400)
    attorney_id = own_attorney_id()
    session = get_session()
    try:
        with session.begin():
            declined = decline(
                session, match_id, attorney_id, form.stored_reason(), signed_in_user()
            )
            count = len(same_offer(session, declined))
    except LookupError:
        abort(404)
    except ValueError as wrong:
        form.reason.errors = [*form.reason.errors, str(wrong).capitalize() + "."]
        return _render_offer(match_id, decline_form=form, status=400)
    except DecisionRefused as refused:
        flash(f"The offer was not declined: {refused}.", "error")
        return redirect(url_for("attorney.offer", match_id=match_id))
    flash(
        f"You declined the offer{_of_siblings(count)}; it will not be offered to you again.",
        "success",
    )
    return redirect(url_for("attorney.offers"))
