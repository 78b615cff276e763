"""The profile form, one for the attorney's own page, a coordinator editing on an attorney's
behalf and the public volunteer sign-up; models.profiles reads and checks what it holds.

The fields carry no checks of their own beyond a length cap (so a pasted novel is refused before
anything reads it): models.profiles judges every value the way the attorneys file is judged, and
its messages are put back on the fields here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from flask import abort, flash, redirect, render_template
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    Field,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from matcher.explain import CASE_TYPE_NAMES
from matcher.rules import CaseType, ExpertiseLevel
from models.entities import Attorney, Court
from models.profiles import (
    EXPERTISE_PREFIX,
    MAX_CAPACITY,
    MAX_LIST_CHARS,
    MAX_NUMBER_CHARS,
    MAX_TRAVEL_RADIUS_KM,
    ProfileInvalid,
    ProfileText,
    expertise_field,
    profile_text,
    update_profile,
)

from .extensions import get_session
from .security import signed_in_user

NOT_TAKEN = SelectChoice("", "I do not take these cases")
EXPERTISE_LABELS = {
    ExpertiseLevel.EXPERT: "expert",
    ExpertiseLevel.EXPERIENCED: "experienced",
    ExpertiseLevel.MENTORED: "mentored (I take the case with a staff mentor)",
}
EXPERTISE_CHOICES = [
    NOT_TAKEN,
    *(SelectChoice(level.value, label) for level, label in EXPERTISE_LABELS.items()),
]


def _length(limit: int) -> Length:
    return Length(max=limit, message=f"Too long: at most {limit} characters.")


class ProfileForm(FlaskForm):
    languages = TextAreaField(
        "Languages and your level in each",
        validators=[_length(MAX_LIST_CHARS)],
        description=(
            "Each as language:level, separated by semicolons; the level is native, fluent or "
            "working. E.g. English:native; Spanish:fluent; K'iche':working."
        ),
    )
    courts = SelectMultipleField(
        "Immigration courts you appear at",
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    states_admitted = StringField(
        "States where you are admitted to the bar",
        validators=[_length(MAX_LIST_CHARS)],
        description="Two-letter codes separated by semicolons, e.g. TX; NY.",
    )
    home_latitude = StringField(
        "Home latitude",
        validators=[_length(MAX_NUMBER_CHARS)],
        description="Decimal degrees, e.g. 29.76. Give both or neither.",
    )
    home_longitude = StringField(
        "Home longitude",
        validators=[_length(MAX_NUMBER_CHARS)],
        description="Decimal degrees, e.g. -95.37 (west is negative).",
    )
    travel_radius_km = StringField(
        "How far you travel to a court (km)",
        default="0",
        validators=[_length(MAX_NUMBER_CHARS)],
        description=f"A whole number from 0 to {MAX_TRAVEL_RADIUS_KM}, measured from home.",
        render_kw={"inputmode": "numeric"},
    )
    remote_ok = BooleanField("I take remote (video) hearings in the states where I am admitted")
    takes_detained = BooleanField("I take cases of detained children")
    capacity = StringField(
        "Cases you can carry at once",
        validators=[_length(MAX_NUMBER_CHARS)],
        description=f"A whole number from 0 to {MAX_CAPACITY}; 0 means no new cases for now.",
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField("Save the profile")

    def set_courts(self, courts: Iterable[tuple[str, str]]) -> None:
        """(code, label) of the courts to offer."""
        self.courts.choices = [SelectChoice(code, label) for code, label in courts]

    def expertise_fields(self) -> list[Field]:
        return [self[expertise_field(case_type)] for case_type in CaseType]

    def text(self) -> ProfileText:
        """What the form holds, for models.profiles to read."""
        return ProfileText(
            languages=self.languages.data or "",
            courts=[str(code) for code in self.courts.data or []],
            states_admitted=self.states_admitted.data or "",
            home_latitude=self.home_latitude.data or "",
            home_longitude=self.home_longitude.data or "",
            travel_radius_km=self.travel_radius_km.data or "",
            remote_ok=bool(self.remote_ok.data),
            expertise={
                field.name.removeprefix(EXPERTISE_PREFIX): field.data or ""
                for field in self.expertise_fields()
            },
            takes_detained=bool(self.takes_detained.data),
            capacity=self.capacity.data or "",
        )

    def fill(self, text: ProfileText) -> None:
        """Show a saved profile."""
        self.languages.data = text.languages
        self.courts.data = list(text.courts)
        self.states_admitted.data = text.states_admitted
        self.home_latitude.data = text.home_latitude
        self.home_longitude.data = text.home_longitude
        self.travel_radius_km.data = text.travel_radius_km
        self.remote_ok.data = text.remote_ok
        for field in self.expertise_fields():
            field.data = text.expertise.get(field.name.removeprefix(EXPERTISE_PREFIX), "")
        self.takes_detained.data = text.takes_detained
        self.capacity.data = text.capacity

    def add_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Put models.profiles' messages on the fields they are about."""
        for name, messages in errors.items():
            field = self[name]
            field.errors = [*field.errors, *messages]


for _case_type in CaseType:
    setattr(
        ProfileForm,
        expertise_field(_case_type),
        SelectField(
            f"Your level in {CASE_TYPE_NAMES[_case_type]} cases",
            choices=EXPERTISE_CHOICES,
            default="",
            validate_choice=False,
        ),
    )


def court_choices(session: Session, kept: Collection[int] = ()) -> list[tuple[str, str]]:
    """(code, label) of the open courts, and of the closed ones among `kept` (courts the
    profile lists already, so saving it does not drop them), by state and city."""
    rows = session.execute(
        select(Court.code, Court.city, Court.state, Court.active)
        .where(or_(Court.active.is_(True), Court.id.in_(kept)))
        .order_by(Court.state, Court.city, Court.code)
    ).all()
    return [
        (code, f"{city}, {state} ({code})" + ("" if active else ", closed"))
        for code, city, state, active in rows
    ]


def edit_profile_page(
    attorney_id: int, *, heading: str, action: str, show_name: bool, leave_url: str | None = None
) -> str | Response | tuple[str, int]:
    """GET shows attorney `attorney_id`'s profile, POST checks and saves it (404: no such
    attorney). The one view body behind /attorney/profile and a coordinator's edit."""
    session = get_session()
    form = ProfileForm()
    with session.begin():
        attorney = session.get(Attorney, attorney_id)
        if attorney is None:
            abort(404)
        name = attorney.name
        form.set_courts(court_choices(session, [row.court_id for row in attorney.courts]))
        if not form.is_submitted():
            form.fill(profile_text(session, attorney))
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin():
                changed = update_profile(session, attorney_id, form.text(), signed_in_user())
        except ProfileInvalid as invalid:
            form.add_errors(invalid.errors)
        else:
            if changed:
                flash(
                    "Profile saved. The changes take effect at the next nightly match.", "success"
                )
            else:
                flash("Nothing changed: the profile already said this.", "info")
            return redirect(action)
    if form.is_submitted():
        status = 400
    page = render_template(
        "attorney/profile.html",
        form=form,
        heading=heading,
        action=action,
        attorney_name=name if show_name else None,
        # A coordinator may answer a volunteer's offer from here (the fragment shows only then).
        attorney=attorney if show_name else None,
        leave_url=leave_url,
    )
    return page, status
