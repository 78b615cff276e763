"""Forms of the coordinators' workspace: the lists' filters, the review decisions, the child
page, runs, spreadsheets and the audit trail.

Filter and search forms read the query string (GET, no CSRF token: they change nothing); every
form that decides or changes something (a decision, an offer, run now, an upload) is a POST with
Flask-WTF's CSRF token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from matcher.explain import CASE_TYPE_NAMES
from matcher.rules import Tier
from models.csv_formats import DATA_KINDS
from models.decisions import MAX_NOTE_LENGTH
from models.erasure import ERASURE_NOTE_REQUIRED_FOR, ERASURE_REASONS, MAX_ERASURE_NOTE_LENGTH
from models.reasons import REJECTION_NOTE_REQUIRED_FOR, REJECTION_REASONS

from ..validators import no_nul

# A bulk action covers the proposals of one page; more than this is not a form a page sends.
MAX_BULK_ITEMS = 200
# A spreadsheet of 50,000 children is about 8 MB; twice that leaves room without letting one
# upload tie up a worker.
UPLOAD_LIMIT_MB = 20
ANY = SelectChoice("", "Any")
CHOOSE = SelectChoice("", "Choose a reason")
REASON_CHOICES = [CHOOSE, *(SelectChoice(code, label) for code, label in REJECTION_REASONS.items())]
NOTE_LENGTH = Length(max=MAX_NOTE_LENGTH, message=f"At most {MAX_NOTE_LENGTH} characters.")


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """ "Any" then the (value, label) pairs given."""
    return [ANY, *(SelectChoice(value, label) for value, label in pairs)]


# --- filters (GET) --------------------------------------------------------------------------------


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


class ChildFilterForm(FilterForm):
    """The filters of a list of children: the review queue's."""

    court = SelectField("Court", choices=[ANY], default="")
    language = SelectField("Language", choices=[ANY], default="")
    case_type = SelectField(
        "Case type",
        choices=select_choices((ct.value, name) for ct, name in CASE_TYPE_NAMES.items()),
        default="",
    )
    tier = SelectField(
        "Tier today", choices=select_choices((str(t.value), t.name) for t in Tier), default=""
    )

    def set_choices(self, courts: list[tuple[str, str]], languages: list[tuple[str, str]]) -> None:
        """Each list holds (value, label) pairs."""
        self.court.choices = select_choices(courts)
        self.language.choices = select_choices(languages)


class UnmatchedFilterForm(ChildFilterForm):
    reason = SelectField("Reason", choices=[ANY], default="")

    def set_reasons(self, reasons: list[tuple[str, str]]) -> None:
        """(value, label) pairs."""
        self.reason.choices = select_choices(reasons)


class AuditFilterForm(FilterForm):
    """The audit trail's filters; the page shows each field's description as its hint."""

    actor = StringField(
        "Who",
        validators=[Optional(), Length(max=254, message="At most 254 characters.")],
        description="Part of an email address, or cli, scheduler, system",
        render_kw={"spellcheck": "false"},
    )
    action = SelectField("Action", choices=[ANY], default="")
    entity_type = SelectField("Record type", choices=[ANY], default="")
    entity_id = StringField(
        "Record id",
        validators=[Optional(), Length(max=64, message="At most 64 characters.")],
        render_kw={"spellcheck": "false"},
    )
    date_from = DateField("From (UTC day)", validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField("To (UTC day, inclusive)", validators=[Optional()], format="%Y-%m-%d")

    def set_choices(self, actions: list[str], entity_types: list[str]) -> None:
        self.action.choices = select_choices((a, a.replace("_", " ")) for a in actions)
        self.entity_type.choices = select_choices((t, t.replace("_", " ")) for t in entity_types)

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class AttorneySearchForm(FilterForm):
    q = StringField(
        "Attorney name or external id",
        validators=[Optional(), Length(max=200, message="At most 200 characters.")],
    )

    @property
    def query(self) -> str:
        return (self.q.data or "").strip() if not self.q.errors else ""


SEARCH_LENGTH = Length(max=200, message="At most 200 characters.")
FREE_SLOT_CHOICES = {"free": "Has free slots", "full": "Full (no free slot)"}
ACCOUNT_STATUS_CHOICES = {
    "none": "No account",
    "invited": "Invited, never signed in",
    "active": "Active account",
    "inactive": "Account deactivated",
}
PROFILE_STATUS_CHOICES = {
    "active": "Active",
    "inactive": "Inactive",
    "pending": "Volunteer awaiting approval",
    "declined": "Volunteer declined",
}


class AttorneyFilterForm(FilterForm):
    """The filters of the attorney list: a search and the attorneys' courts, languages, free
    slots, accounts and profiles."""

    q = StringField(
        "Search",
        validators=[Optional(), SEARCH_LENGTH, no_nul],
        description="Part of a name, e-mail address, firm or external id",
        render_kw={"spellcheck": "false"},
    )
    court = SelectField("Court listed", choices=[ANY], default="")
    language = SelectField("Language spoken", choices=[ANY], default="")
    slots = SelectField("Free slots", choices=select_choices(FREE_SLOT_CHOICES.items()), default="")
    account = SelectField(
        "Account", choices=select_choices(ACCOUNT_STATUS_CHOICES.items()), default=""
    )
    profile = SelectField(
        "Profile", choices=select_choices(PROFILE_STATUS_CHOICES.items()), default=""
    )

    def set_choices(self, courts: list[tuple[str, str]], languages: list[tuple[str, str]]) -> None:
        """Each list holds (value, label) pairs."""
        self.court.choices = select_choices(courts)
        self.language.choices = select_choices(languages)


class ReviewFilterForm(ChildFilterForm):
    """The review queue's filters: a list of children's, and the proposed attorney."""

    attorney = StringField(
        "Attorney external id",
        validators=[Optional(), Length(max=64, message="At most 64 characters."), no_nul],
        render_kw={"spellcheck": "false"},
    )


class OverrideSearchForm(FlaskForm):
    """The override page's search, shown empty on the child page beside the eligible search."""

    class Meta:
        csrf = False

    q = StringField(
        "Any attorney by name or external id",
        id="override-q",
        validators=[Optional(), Length(max=200, message="At most 200 characters.")],
    )


# --- decisions and the child page (POST, CSRF) ----------------------------------------------------


def _note_given(reason: SelectField, note: TextAreaField) -> bool:
    """A reason such as "other" needs a note; says so on the note field. (Not an inline
    validator: the note's Optional() stops its chain when it is empty.)"""
    if reason.data in REJECTION_NOTE_REQUIRED_FOR and not (note.data or "").strip():
        label = REJECTION_REASONS[reason.data]
        note.errors = [*note.errors, f"Say why in the note: '{label}' needs one."]
        return False
    return True


class _ReturnTo(FlaskForm):
    """Where to go back to after the decision: the list the coordinator was on, filters kept."""

    return_to = HiddenField()


class ConfirmForm(_ReturnTo):
    submit = SubmitField("Confirm")


class RejectForm(_ReturnTo):
    reason = SelectField(
        "Reason",
        choices=REASON_CHOICES,
        validators=[InputRequired("Choose why the proposal is rejected.")],
        default="",
    )
    note = TextAreaField(
        "Note",
        validators=[Optional(), NOTE_LENGTH],
        description="What the next coordinator should know; required for 'Other'.",
    )
    submit = SubmitField("Reject")

    def validate_reason(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose why the proposal is rejected.")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return _note_given(self.reason, self.note) and valid


class BulkForm(_ReturnTo):
    """One action for the proposals ticked in the queue (their checkboxes name this form)."""

    match_ids = SelectMultipleField(
        "Proposals",
        coerce=int,
        validate_choice=False,
        validators=[DataRequired("Tick at least one proposal first.")],
    )
    action = RadioField(
        "With the ticked proposals",
        choices=[SelectChoice("confirm", "Confirm"), SelectChoice("reject", "Reject")],
        validators=[InputRequired("Choose confirm or reject.")],
    )
    reason = SelectField("Reason for rejecting", choices=REASON_CHOICES, default="")
    note = TextAreaField("Note for rejecting", validators=[Optional(), NOTE_LENGTH])
    submit = SubmitField("Apply to the ticked proposals")

    def validate_match_ids(self, field: SelectMultipleField) -> None:
        if field.data and len(field.data) > MAX_BULK_ITEMS:
            raise ValidationError(f"Tick at most {MAX_BULK_ITEMS} proposals at once.")

    def validate_reason(self, field: SelectField) -> None:
        if self.action.data == "reject" and not field.data:
            raise ValidationError("Choose why the ticked proposals are rejected.")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.action.data != "reject":
            return valid
        return _note_given(self.reason, self.note) and valid


class LanguagesForm(FlaskForm):
    primary = StringField(
        "Primary language",
        validators=[
            DataRequired("Enter the language the child speaks best."),
            Length(max=150, message="At most 150 characters."),
        ],
        description="The language the child speaks best, as people write it (Mam, K'iche').",
    )
    others = StringField(
        "Other languages",
        validators=[Optional(), Length(max=500, message="At most 500 characters.")],
        description="Separated by semicolons, e.g. Spanish; K'iche'. Leave empty for none.",
    )
    submit = SubmitField("Save the languages")


class OfferForm(FlaskForm):
    attorney_id = IntegerField(validators=[InputRequired()])
    submit = SubmitField("Offer this attorney")


class OverrideForm(FlaskForm):
    reason = TextAreaField(
        "Why the rule may be overridden",
        validators=[
            DataRequired("Say why this match may go ahead despite the rule."),
            NOTE_LENGTH,
        ],
        description="Recorded with the match and shown in the child's timeline.",
    )
    submit = SubmitField("Offer the case and record the override")


ERASURE_REASON_CHOICES = [
    CHOOSE,
    *(SelectChoice(code, label) for code, label in ERASURE_REASONS.items()),
]


class EraseForm(FlaskForm):
    """Erasing a closed case's personal data on request: a reason, and an explicit yes."""

    reason = SelectField(
        "Why the record is erased now",
        choices=ERASURE_REASON_CHOICES,
        validators=[InputRequired("Choose why the record is erased.")],
        default="",
    )
    note = TextAreaField(
        "Note",
        validators=[
            Optional(),
            Length(
                max=MAX_ERASURE_NOTE_LENGTH,
                message=f"At most {MAX_ERASURE_NOTE_LENGTH} characters.",
            ),
            no_nul,
        ],
        description="Who asked and how, for the audit trail; required for 'Other'. Do not "
        "write the child's name or A-number: they are taken out of the note.",
    )
    confirm = BooleanField(
        "I understand that the names, A-number, birth date and notes are erased for good",
        validators=[DataRequired("Tick the box to confirm the erasure.")],
    )
    submit = SubmitField("Erase the personal data")

    def validate_reason(self, field: SelectField) -> None:
        if field.data not in ERASURE_REASONS:
            raise ValidationError("Choose why the record is erased.")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.reason.data in ERASURE_NOTE_REQUIRED_FOR and not (self.note.data or "").strip():
            label = ERASURE_REASONS[self.reason.data]
            self.note.errors = [*self.note.errors, f"Say why in the note: '{label}' needs one."]
            return False
        return valid


# --- runs and spreadsheets (POST, CSRF) -----------------------------------------------------------


class RunNowForm(FlaskForm):
    submit = SubmitField("Run now")


class CancelRequestForm(FlaskForm):
    submit = SubmitField("Cancel this request")


class UploadForm(FlaskForm):
    kind = SelectField(
        "What the file holds",
        choices=[SelectChoice(kind.value, kind.value.capitalize()) for kind in DATA_KINDS],
        validators=[DataRequired("Choose what the file holds.")],
    )
    file = FileField(
        "CSV file or Excel workbook",
        validators=[
            FileRequired("Choose a CSV file or an Excel workbook (.xlsx) to upload."),
            FileSize(
                max_size=UPLOAD_LIMIT_MB * 1024 * 1024,
                message=f"The file is larger than {UPLOAD_LIMIT_MB} MB: split it into parts.",
            ),
        ],
    )
    sheet = StringField(
        "Sheet",
        validators=[
            Optional(),
            Length(max=100, message="A sheet name is at most 100 characters."),
            no_nul,
        ],
    )
    dry_run = BooleanField("Check only (dry run): report problems, import nothing")
    submit = SubmitField("Upload")
