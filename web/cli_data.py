"""`counselmatch import` and `counselmatch export`: the spreadsheets of DESIGN.md."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from models import audit
from models.csv_formats import CsvKind
from models.exports import EXPORTERS, export_csv, export_xlsx
from models.imports import IMPORTERS, ImportFailed, import_csv

from .extensions import get_db

CLI_ACTOR = "cli"


@click.command("import")
@click.argument("kind", type=click.Choice([kind.value for kind in IMPORTERS]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--sheet", help="For an Excel workbook (.xlsx): the sheet to read (default: the first)."
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar='"THEIRS=OURS"',
    help='A column of the file named otherwise: "Their column=our_column", or "=ignore" to leave '
    "it out; repeat for more.",
)
@with_appcontext
def import_command(
    kind: str, file: Path, dry_run: bool, sheet: str | None, maps: tuple[str, ...]
) -> None:
    """Import KIND (children, attorneys or conflicts) from FILE, a CSV file or an Excel
    workbook (.xlsx).

    All rows or none: a file with any problem imports nothing, and every problem is listed
    (FILE:LINE: column: value: what is wrong). A row whose external_id exists updates it.
    """
    filename = str(file)
    mapping: dict[str, str] = {}
    for item in maps:
        theirs, equals, ours = item.partition("=")
        if not equals or not theirs.strip() or not ours.strip():
            raise click.BadParameter(
                f"'{item}' is not THEIRS=OURS (e.g. \"Date of Birth=birth_date\")",
                param_hint="--map",
            )
        mapping[theirs.strip()] = ours.strip()
    try:
        with get_db().session() as session, session.begin():
            summary = import_csv(
                session,
                CsvKind(kind),
                file,
                actor=CLI_ACTOR,
                filename=filename,
                dry_run=dry_run,
                sheet=sheet,
                mapping=mapping,
            )
    except ImportFailed as failed:
        for error in failed.errors:
            click.echo(error.describe(failed.filename), err=True)
        problems = "1 problem" if len(failed.errors) == 1 else f"{len(failed.errors)} problems"
        click.echo(f"{failed.filename}: {problems}; nothing was imported.", err=True)
        raise click.exceptions.Exit(1) from None
    counts = f"{summary.created} new, {summary.updated} updated"
    if dry_run:
        click.echo(
            f"{filename}: {summary.rows} {kind} checked, no problems ({counts} on import); "
            f"dry run, nothing was written.{summary.read_as}"
        )
    else:
        click.echo(f"{filename}: {summary.rows} {kind} imported ({counts}).{summary.read_as}")


@click.command("export")
@click.argument("kind", type=click.Choice([kind.value for kind in EXPORTERS]))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write (replaced if it exists): CSV, or a workbook if it ends in .xlsx.",
)
@with_appcontext
def export_command(kind: str, out: Path) -> None:
    """Export every record of KIND to a CSV file (or an .xlsx workbook) in the import format."""
    export = export_xlsx if out.suffix.lower() == ".xlsx" else export_csv
    try:
        with get_db().session() as session, session.begin():
            count = export(session, CsvKind(kind), out)
            # Exports carry names and A-numbers: who took a copy belongs in the audit trail.
            audit.record(session, CLI_ACTOR, "export", kind, rows=count)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{out}: {count} {kind} exported.")
