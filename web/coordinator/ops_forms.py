"""Forms of the runs, unmatched, spreadsheet and audit pages.

Filter forms read the query string (GET, no CSRF token: they change nothing); the forms that act
(run now, upload) are POSTs with Flask-WTF's CSRF token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from matcher.explain import CASE_TYPE_NAMES
from matcher.rules import Tier
from models.csv_formats import DATA_KINDS

# A spreadsheet of 50,000 children is about 8 MB; twice that leaves room without letting one
# upload tie up a worker.
UPLOAD_LIMIT_MB = 20
ANY = SelectChoice("", "Any")


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """ "Any" then the (value, label) pairs given."""
    return [ANY, *(SelectChoice(value, label) for value, label in pairs)]


class RunNowForm(FlaskForm):
    submit = SubmitField("Run now")


class UploadForm(FlaskForm):
    kind = SelectField(
        "What the file holds",
        choices=[SelectChoice(kind.value, kind.value.capitalize()) for kind in DATA_KINDS],
        validators=[DataRequired("Choose what the file holds.")],
    )
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file to upload."),
            FileSize(
                max_size=UPLOAD_LIMIT_MB * 1024 * 1024,
                message=f"The file is larger than {UPLOAD_LIMIT_MB} MB: split it into parts.",
            ),
        ],
    )
    dry_run = BooleanField("Check only (dry run): report problems, import nothing")
    submit = SubmitField("Upload")


class FilterForm(FlaskForm):
    """A form read from the query string; its fields narrow a list."""

    class Meta:
        csrf = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formdata=request.args, **kwargs)

    def chosen(self) -> dict[str, Any]:
        """The filters given and valid; an invalid one is reported and left out."""
        self.validate()
        return {
            name: field.data
            for name, field in self._fields.items()
            if not field.errors and field.data not in (None, "", "None")
        }


class UnmatchedFilterForm(FilterForm):
    court = SelectField("Court", choices=[ANY], default="")
    language = SelectField("Language", choices=[ANY], default="")
    case_type = SelectField(
        "Case type",
        choices=[ANY, *[SelectChoice(ct.value, name) for ct, name in CASE_TYPE_NAMES.items()]],
        default="",
    )
    tier = SelectField(
        "Tier today",
        choices=[ANY, *[SelectChoice(str(t.value), t.name) for t in Tier]],
        default="",
    )
    reason = SelectField("Reason", choices=[ANY], default="")

    def set_choices(
        self,
        courts: list[tuple[str, str]],
        languages: list[tuple[str, str]],
        reasons: list[tuple[str, str]],
    ) -> None:
        """Each list holds (value, label) pairs."""
        self.court.choices = select_choices(courts)
        self.language.choices = select_choices(languages)
        self.reason.choices = select_choices(reasons)


class AuditFilterForm(FilterForm):
    actor = StringField(
        "Who",
        validators=[Optional(), Length(max=254, message="At most 254 characters.")],
        description="Part of an email address, or cli, scheduler, system",
    )
    action = SelectField("Action", choices=[ANY], default="")
    entity_type = SelectField("Record type", choices=[ANY], default="")
    entity_id = StringField(
        "Record id", validators=[Optional(), Length(max=64, message="At most 64 characters.")]
    )
    date_from = DateField(
        "From (UTC day)",
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    date_to = DateField("To (UTC day, inclusive)", validators=[Optional()], format="%Y-%m-%d")

    def set_choices(self, actions: list[str], entity_types: list[str]) -> None:
        self.action.choices = select_choices((a, a.replace("_", " ")) for a in actions)
        self.entity_type.choices = select_choices((t, t.replace("_", " ")) for t in entity_types)

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
