"""Forms of the accounts pages (/admin/users): the list's filters (GET), and the invitation,
unlock, role, attorney-profile and button forms (POST, with Flask-WTF's CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from models.accounts import FAILED_SIGN_IN_WINDOW, MAX_FAILED_SIGN_INS
from models.entities import Attorney, Role
from models.users import ACCOUNT_STATUSES, MAX_EMAIL_LENGTH

from ..coordinator.forms import FilterForm, select_choices
from ..security import ROLE_LABELS
from ..validators import no_nul

STATUS_LABELS = {
    "active": "Active",
    "invited": "Invited, no password yet",
    "deactivated": "Deactivated",
}
assert set(STATUS_LABELS) == set(ACCOUNT_STATUSES)
ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]
EXTERNAL_ID_LENGTH = Attorney.external_id.type.length or 64


def known_role(_form: Any, field: Field) -> None:
    """A role of the list (a select can be sent any value)."""
    if field.data not in {role.value for role in Role}:
        raise ValidationError("Choose one of the roles listed.")


def _email_field(label: str, hint: str) -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter an email address."),
            Length(
                max=MAX_EMAIL_LENGTH,
                message=f"An email address has at most {MAX_EMAIL_LENGTH} characters.",
            ),
            no_nul,
        ],
        description=hint,
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )


def _role_field(label: str) -> SelectField:
    return SelectField(
        label,
        choices=[SelectChoice("", "Choose a role"), *ROLE_CHOICES],
        validators=[known_role],
        validate_choice=False,
        default="",
    )


def _attorney_field(hint: str) -> StringField:
    return StringField(
        "Attorney profile (external id)",
        validators=[
            Optional(),
            Length(
                max=EXTERNAL_ID_LENGTH,
                message=f"An external id has at most {EXTERNAL_ID_LENGTH} characters.",
            ),
            no_nul,
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=hint,
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )


class UserFilterForm(FilterForm):
    """The filters of the accounts list."""

    q = StringField(
        "Search",
        validators=[
            Optional(),
            Length(max=MAX_EMAIL_LENGTH, message="At most 254 characters."),
            no_nul,
        ],
        description="Part of an e-mail address",
        render_kw={"spellcheck": "false"},
    )
    role = SelectField(
        "Role", choices=select_choices((c.value, c.label) for c in ROLE_CHOICES), default=""
    )
    status = SelectField("Status", choices=select_choices(STATUS_LABELS.items()), default="")


class PrefixedForm(FlaskForm):
    """A form that shares its page with others: its fields' names and ids start with `prefix`
    ("invite-email"), so no two fields of the page clash."""

    form_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.form_prefix)
        super().__init__(*args, **kwargs)


class InviteUserForm(PrefixedForm):
    form_prefix = "invite"
    email = _email_field("Email address", "The invitation goes here; it is the sign-in name.")
    role = _role_field("Role")
    attorney = _attorney_field(
        "For an attorney account: the profile it belongs to, e.g. A-00012 (optional)."
    )


class UnlockForm(PrefixedForm):
    form_prefix = "unlock"
    email = _email_field(
        "Email address to unlock",
        f"After {MAX_FAILED_SIGN_INS} failed sign-ins an address is refused for "
        f"{FAILED_SIGN_IN_WINDOW.seconds // 60} minutes; unlocking lets it sign in again at once.",
    )


class RoleForm(FlaskForm):
    role = _role_field("New role")


class AttorneyLinkForm(FlaskForm):
    attorney = _attorney_field("Leave empty to unlink the profile.")


class ButtonForm(FlaskForm):
    """A button's form: only the CSRF token and the page to come back to."""

    next = HiddenField()
