"""`counselmatch erase`: erase the personal data of cases closed before a day (models.erasure),
for operators; the daily retention job does the same with the retention setting's day."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import with_appcontext

from jobs.retention import erase_in_batches
from models.erasure import erase_closed_before, retention_cutoff

from .extensions import get_db

CLI_ACTOR = "cli"


@click.command("erase")
@click.option(
    "--closed-before",
    "closed_before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Erase the records whose case closed before this day (UTC), as YYYY-MM-DD.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@with_appcontext
def erase_command(closed_before: datetime, dry_run: bool) -> None:
    """Erase closed cases' personal data (names, A-number, birth date, notes); prints counts,
    never names."""
    day = closed_before.date()
    if day > date.today():
        raise click.BadParameter(
            f"{day.isoformat()} is in the future: give a day on or before today.",
            param_hint="--closed-before",
        )
    database = get_db()
    with database.session() as session:
        cutoff = retention_cutoff(session, date.today())
    if dry_run:
        with database.session() as session:
            summary = erase_closed_before(session, day, CLI_ACTOR, dry_run=True)
        click.echo(
            f"Dry run: {summary.children} records (with {summary.matches} matches) closed "
            f"before {day.isoformat()} would be erased; nothing changed."
        )
    else:
        summary = erase_in_batches(database, day, CLI_ACTOR)
        click.echo(
            f"Erased {summary.children} records closed before {day.isoformat()} "
            f"({summary.matches} matches cleared, {summary.audit_events} audit events scrubbed)."
        )
    click.echo(f"The retention setting erases cases closed before {cutoff.isoformat()} daily.")
