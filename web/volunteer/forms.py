"""The volunteer sign-up form: who is volunteering, then the profile form's fields."""

from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import Length

from models.volunteers import VolunteerText

from ..profile_form import ProfileForm


class VolunteerForm(ProfileForm):
    name = StringField("Your name", validators=[Length(max=1000, message="Too long.")])
    email = StringField(
        "Your e-mail address",
        validators=[Length(max=1000, message="Too long.")],
        description="A coordinator writes to you here, and it becomes your sign-in.",
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    firm = StringField(
        "Firm or organisation (optional)", validators=[Length(max=1000, message="Too long.")]
    )
    # The honeypot: hidden from people (and from screen readers), left empty by them.
    website = StringField(
        "Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"}
    )
    submit = SubmitField("Offer to volunteer")

    def person(self) -> VolunteerText:
        return VolunteerText(
            name=self.name.data or "", email=self.email.data or "", firm=self.firm.data or ""
        )
