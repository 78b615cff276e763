"""The sign-in, forgotten-password, new-password and change-password forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from models.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

from ..validators import new_password, no_nul

EMAIL_FIELD_VALIDATORS = [
    DataRequired("Enter your email address."),
    Length(max=254, message="An email address has at most 254 characters."),
    no_nul,
]
NEW_PASSWORD_HINT = (
    f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, not a common password nor one "
    "character repeated. A few unrelated words are easy to remember and hard to guess."
)


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=EMAIL_FIELD_VALIDATORS)
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password."),
            Length(
                max=MAX_PASSWORD_LENGTH,
                message=f"A password has at most {MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    submit = SubmitField("Sign in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=EMAIL_FIELD_VALIDATORS)
    submit = SubmitField("Send me a link")


def _new_password_validators() -> list[Any]:
    return [DataRequired("Enter a new password."), new_password]


def _confirm_field() -> PasswordField:
    return PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("password", message="The two passwords differ; type the same one twice."),
        ],
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (the one-time link's page)."""

    password = PasswordField("New password", validators=_new_password_validators())
    confirm = _confirm_field()
    submit = SubmitField("Save the password")


class ChangePasswordForm(FlaskForm):
    """The signed-in user's own password change: the current one first."""

    current = PasswordField(
        "Current password",
        validators=[
            DataRequired("Enter your current password."),
            Length(
                max=MAX_PASSWORD_LENGTH,
                message=f"A password has at most {MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    password = PasswordField("New password", validators=_new_password_validators())
    confirm = _confirm_field()
    submit = SubmitField("Change the password")
