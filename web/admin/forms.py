"""Forms of the administrators' pages (POST, with Flask-WTF's CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField

from models.courts import CourtText

from ..validators import no_nul


class CourtForm(FlaskForm):
    """A court's details; models.courts reads and checks them (messages land on the fields)."""

    code = StringField(
        "Code",
        validators=[no_nul],
        description="2 to 8 letters or digits, as spreadsheets write it in court_code (e.g. HOU).",
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    name = StringField("Name", validators=[no_nul], description="e.g. Houston Immigration Court")
    city = StringField("City", validators=[no_nul])
    state = StringField(
        "State",
        validators=[no_nul],
        description="Two-letter postal code of a US state or territory, e.g. TX or PR.",
        render_kw={"autocomplete": "off"},
    )
    latitude = StringField(
        "Latitude",
        validators=[no_nul],
        description="Decimal degrees, -90 to 90, e.g. 29.7604 (for attorneys' travel distances).",
    )
    longitude = StringField(
        "Longitude", validators=[no_nul], description="Decimal degrees, -180 to 180, e.g. -95.3698."
    )
    detained_only = BooleanField("Hears only detained children's cases")
    submit = SubmitField("Save the court")

    def text(self) -> CourtText:
        return CourtText(
            code=self.code.data or "",
            name=self.name.data or "",
            city=self.city.data or "",
            state=self.state.data or "",
            latitude=self.latitude.data or "",
            longitude=self.longitude.data or "",
            detained_only=bool(self.detained_only.data),
        )

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self[name]
            field.errors = [*field.errors, *messages]


class CourtActionForm(FlaskForm):
    """Only the CSRF token: close, reopen or remove the court in the address."""


class ResendForm(FlaskForm):
    """Only the CSRF token: resend the message in the address."""
