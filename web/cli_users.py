"""`counselmatch create-user`: accounts are made by an operator, never by sign-up."""

from __future__ import annotations

import secrets
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import audit
from models.entities import Attorney, Role, User
from models.passwords import MIN_PASSWORD_LENGTH, password_problem

from .extensions import get_db
from .security import hash_password, normalise_email


def _check_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not local or not at or "." not in domain or any(char.isspace() for char in email):
        raise click.BadParameter(
            f"{email!r} is not an email address; give one like name@example.org.",
            param_hint="EMAIL",
        )
    if len(email) > 254:
        raise click.BadParameter("an email address has at most 254 characters.", param_hint="EMAIL")
    return email


def check_password(password: str) -> str:
    """The password if the password rule (models.passwords) accepts it, else a usage error."""
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(
            f"{problem} (Or leave --password out to have one generated.)",
            param_hint="--password",
        )
    return password


def _choose_password(given: str | None) -> tuple[str, bool]:
    """(password, generated?): the one given, else one typed at a terminal, else a random one."""
    if given is not None:
        return check_password(given), False
    if sys.stdin.isatty():
        typed: str = click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters, not a common one; empty to "
            "generate one)",
            default="",
            show_default=False,
            hide_input=True,
            confirmation_prompt=True,
        )
        if typed:
            return check_password(typed), False
    return secrets.token_urlsafe(12), True


def _attorney_to_link(session: Session, role: Role, external_id: str | None) -> Attorney | None:
    if external_id is None:
        return None
    if role != Role.ATTORNEY:
        raise click.UsageError(
            f"--attorney-external-id links an attorney profile, but the role is {role.value}; "
            "use --role attorney or leave the option out."
        )
    attorney = session.scalar(select(Attorney).where(Attorney.external_id == external_id))
    if attorney is None:
        raise click.ClickException(
            f"No attorney has external_id {external_id!r}. Import the attorneys first "
            "(counselmatch import attorneys FILE.csv) or check the id."
        )
    linked = session.scalar(select(User.email).where(User.attorney_id == attorney.id))
    if linked is not None:
        raise click.ClickException(
            f"Attorney {external_id!r} is already linked to the account {linked}."
        )
    return attorney


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the account may see and do.",
)
@click.option(
    "--password",
    help="The password; if left out it is asked for at a terminal, or else generated and shown.",
)
@click.option(
    "--attorney-external-id",
    help="For --role attorney: the external_id of the attorney profile the account belongs to.",
)
@with_appcontext
def create_user(
    email: str, role: str, password: str | None, attorney_external_id: str | None
) -> None:
    """Create a sign-in account EMAIL with a role."""
    email = _check_email(normalise_email(email))
    chosen_role = Role(role)
    with get_db().session() as session:
        with session.begin():
            existing = session.scalar(select(User.id).where(func.lower(User.email) == email))
            if existing is not None:
                raise click.ClickException(
                    f"An account for {email} already exists (user {existing})."
                )
            attorney = _attorney_to_link(session, chosen_role, attorney_external_id)
        # Asked between transactions: no lock is held while someone types.
        secret, generated = _choose_password(password)
        with session.begin():
            user = User(
                email=email,
                password_hash=hash_password(secret),
                role=chosen_role,
                attorney_id=attorney.id if attorney else None,
            )
            session.add(user)
            session.flush()
            audit.record(
                session,
                "cli",
                "create_user",
                "user",
                user.id,
                role=chosen_role.value,
                attorney_external_id=attorney_external_id,
            )
    linked = f", linked to attorney {attorney_external_id}" if attorney else ""
    click.echo(f"Created {chosen_role.value} account {email}{linked}.")
    if generated:
        click.echo(f"Password (shown only now, pass it on safely): {secret}")
    if chosen_role == Role.ATTORNEY and attorney is None:
        click.echo(
            "Note: this attorney account is linked to no attorney profile; run again with "
            "--attorney-external-id to link one."
        )
