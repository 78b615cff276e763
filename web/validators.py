"""Form validators every blueprint shares."""

from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.validators import ValidationError

from models.passwords import password_problem


def no_nul(_form: Any, field: Field) -> None:
    """Refuse (and drop) NUL characters: no record holds one, and PostgreSQL cannot store or
    compare them, so a NUL reaching a query would be a server error instead of a message."""
    if isinstance(field.data, str) and "\x00" in field.data:
        field.data = field.data.replace("\x00", "")
        raise ValidationError("Remove the invisible NUL character from what you typed.")


def new_password(_form: Any, field: Field) -> None:
    """The password rule (models.passwords), with its message on the field."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)
