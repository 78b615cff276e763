"""Forms of the attorney's own pages besides the profile (web/profile_form.py): leave dates,
and the length cap the offer and case forms share."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField
from wtforms.validators import InputRequired, Length


def at_most(limit: int) -> Length:
    """A free-text field's cap, with the message the attorney's pages give."""
    return Length(max=limit, message=f"At most {limit} characters.")


class LeaveForm(FlaskForm):
    start_date = DateField(
        "First day away",
        format="%Y-%m-%d",
        validators=[InputRequired("Enter the first day of the leave, as YYYY-MM-DD.")],
        description="YYYY-MM-DD, e.g. 2026-12-21.",
    )
    end_date = DateField(
        "Last day away",
        format="%Y-%m-%d",
        validators=[InputRequired("Enter the last day of the leave, as YYYY-MM-DD.")],
        description="YYYY-MM-DD; the same day as the first for a single day.",
    )
    submit = SubmitField("Save the leave")


class RemoveLeaveForm(FlaskForm):
    submit = SubmitField("Remove")
