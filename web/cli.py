"""The `counselmatch` command line: one click group built with Flask's FlaskGroup."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from jobs.mailer import send_due_mail
from models import audit
from models.db import migrate
from models.reference import load_reference_data
from models.setting_changes import SettingsRefused, change_settings
from models.settings import PUBLIC_BASE_URL_KEY, public_base_url

from .app import create_app
from .cli_data import export_command, import_command
from .cli_demo import seed_demo
from .cli_match import (
    match_command,
    recruitment_targets_command,
    remind_offers_command,
    scheduler_command,
)
from .cli_privacy import erase_command
from .cli_users import create_user
from .extensions import get_db


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Counsel Match: pro bono counsel matching for unaccompanied children."""


@cli.command("init-db")
@with_appcontext
def init_db() -> None:
    """Apply the database migrations and load the courts and language catalogue."""
    database = get_db()
    migrate(database.engine)
    with database.session() as session, session.begin():
        courts, languages = load_reference_data(session)
        audit.record(session, "cli", "init_db", "database", courts=courts, languages=languages)
    click.echo(f"Database ready: {courts} courts, {languages} languages.")


@cli.command("send-mail")
@with_appcontext
def send_mail() -> None:
    """Send the queued e-mail that is due now (what the clock does every minute)."""
    settings = current_app.config["MAIL"]
    if settings is None:
        click.echo("SMTP_URL is not set: nothing sent, messages stay queued.", err=True)
        raise click.exceptions.Exit(1)
    report = send_due_mail(get_db(), settings)
    click.echo(f"{report.sent} sent, {report.retrying} to retry, {report.failed} given up.")
    if report.stopped_early:
        click.echo("The SMTP server could not be used; see /admin/outbox for the error.", err=True)


@cli.command("set-base-url")
@click.argument("url")
@with_appcontext
def set_base_url(url: str) -> None:
    """Set the address people open the app at (https://...), used by every link in e-mails."""
    with get_db().session() as session, session.begin():
        try:
            change_settings(session, "cli", {PUBLIC_BASE_URL_KEY: url})
        except SettingsRefused as refused:
            message = refused.errors[PUBLIC_BASE_URL_KEY]
            raise click.BadParameter(message, param_hint="URL") from None
        stored = public_base_url(session)
    click.echo(f"E-mailed links now start with {stored}")


cli.add_command(create_user)
cli.add_command(seed_demo)
cli.add_command(import_command)
cli.add_command(export_command)
cli.add_command(match_command)
cli.add_command(recruitment_targets_command)
cli.add_command(scheduler_command)
cli.add_command(remind_offers_command)
cli.add_command(erase_command)
