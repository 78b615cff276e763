"""GET /attorney/cases, GET /attorney/cases/<id> (the child's full record), POST .../close.

Only accepted (and closed) cases of the signed-in attorney: the name, A-number and birth date
appear here, never on an offer. Closing records an outcome from DESIGN.md's list and frees the
attorney's slot. Another attorney's case is a 404, whatever its id.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from models.entities import CaseOutcome, MatchStatus
from models.offers import MAX_CLOSING_NOTE_LENGTH, OUTCOME_LABELS, close_case
from models.pair_checks import DecisionRefused

from ..extensions import get_session
from ..security import signed_in_user
from ..validators import no_nul
from . import bp, own_attorney_id
from .forms import at_most
from .records import CASE_STATUSES, case_records, cases_with_records, own_match_or_404


class CloseCaseForm(FlaskForm):
    outcome = SelectField(
        "Outcome",
        choices=[
            SelectChoice("", "Choose the outcome"),
            *(SelectChoice(o.value, OUTCOME_LABELS[o]) for o in CaseOutcome),
        ],
        validators=[DataRequired(message="Choose how the case ended.")],
    )
    note = TextAreaField(
        "Note (optional)",
        description="For the program's records; say nothing here that the outcome says already.",
        validators=[at_most(MAX_CLOSING_NOTE_LENGTH), no_nul],
    )
    close = SubmitField("Close the case")


@bp.route("/cases")
def cases() -> str:
    session = get_session()
    attorney_id = own_attorney_id()
    as_of = date.today()
    return render_template(
        "attorney/cases.html",
        open_cases=cases_with_records(session, attorney_id, MatchStatus.ACCEPTED, as_of),
        closed_cases=cases_with_records(session, attorney_id, MatchStatus.CLOSED, as_of),
        outcome_labels=OUTCOME_LABELS,
    )


def _render_case(match_id: int, form: CloseCaseForm | None = None, status: int = 200):
    session = get_session()
    match = own_match_or_404(session, match_id, own_attorney_id(), CASE_STATUSES)
    [record] = case_records(session, [match], date.today())
    return (
        render_template(
            "attorney/case.html",
            match=match,
            record=record,
            form=form or CloseCaseForm(formdata=None),
            outcome_labels=OUTCOME_LABELS,
        ),
        status,
    )


@bp.route("/cases/<id:match_id>")
def case(match_id: int) -> tuple[str, int]:
    return _render_case(match_id)


@bp.route("/cases/<id:match_id>/close", methods=["POST"])
def close(match_id: int) -> Response | tuple[str, int]:
    form = CloseCaseForm()
    if not form.validate_on_submit():
        return _render_case(match_id, form, 400)
    session = get_session()
    outcome = CaseOutcome(form.outcome.data)
    try:
        with session.begin():
            close_case(session, match_id, signed_in_user(), outcome, form.note.data or "")
    except LookupError:
        abort(404)
    except DecisionRefused as refused:
        flash(f"The case was not closed: {refused}.", "error")
        return redirect(url_for("attorney.case", match_id=match_id))
    flash(
        f"Case closed: {OUTCOME_LABELS[outcome]}. One of your slots is free for a new case.",
        "success",
    )
    return redirect(url_for("attorney.cases"))
