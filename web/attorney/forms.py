"""Forms of the attorney's own pages besides the profile (web/profile_form.py): leave dates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField
from wtforms.validators import InputRequired


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
