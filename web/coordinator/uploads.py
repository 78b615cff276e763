"""GET/POST /spreadsheets: import children, attorneys or conflicts from CSV exactly as
`counselmatch import` does (all or nothing, every bad row reported), and download blank templates
and the current data as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from flask import Response, flash, redirect, render_template, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as BaseResponse

from models import audit
from models.csv_formats import COLUMNS, DATA_KINDS, EXAMPLE_ROWS, CsvKind
from models.exports import EXPORTERS, export_csv, export_xlsx, template_xlsx
from models.imports import ImportFailed, import_csv

from ..downloads import csv_download, xlsx_download
from ..extensions import get_session
from ..security import signed_in_user
from . import bp
from .forms import UPLOAD_LIMIT_MB, UploadForm

# What each download holds, shown beside its link.
KIND_NOTES = {
    CsvKind.CHILDREN: "every child, with names and A-numbers",
    CsvKind.ATTORNEYS: "every attorney, with contact details and availability",
    CsvKind.CONFLICTS: "every recorded attorney-child conflict",
    CsvKind.PROPOSALS: "proposals awaiting review, with their score parts",
    CsvKind.UNMATCHED: "children the latest run left unmatched, with the reason",
    CsvKind.RUNS: "every matching run with its statistics",
}


@bp.route("/spreadsheets", methods=["GET", "POST"])
def uploads() -> BaseResponse | tuple[str, int]:
    form = UploadForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _page(form), status
    kind = CsvKind(form.kind.data)
    upload: FileStorage = form.file.data
    filename = _shown_name(upload.filename)
    dry_run = bool(form.dry_run.data)
    user = signed_in_user()
    session = get_session()
    try:
        with session.begin():
            summary = import_csv(
                session,
                kind,
                upload.read(),
                actor=user,
                filename=filename,
                dry_run=dry_run,
                sheet=(form.sheet.data or "").strip() or None,
            )
            if dry_run:
                # import_csv audits what it writes; a check is a request worth recording too.
                audit.record(session, user, "import_checked", kind.value, rows=summary.rows)
    except ImportFailed as failed:
        with session.begin():
            audit.record(
                session,
                user,
                "import_refused",
                kind.value,
                problems=len(failed.errors),
                dry_run=dry_run,
            )
        return _page(form, failed=failed, kind=kind), 422
    counts = f"{summary.created} new, {summary.updated} updated"
    if dry_run:
        flash(
            f"{filename}: {summary.rows} {kind.value} checked, no problems ({counts} on import). "
            f"Dry run: nothing was imported.{summary.read_as}",
            "info",
        )
    else:
        flash(
            f"{filename}: {summary.rows} {kind.value} imported ({counts}).{summary.read_as}",
            "info",
        )
    return redirect(url_for(".uploads"))


def _page(form: UploadForm, failed: ImportFailed | None = None, kind: CsvKind | None = None) -> str:
    return render_template(
        "coordinator/uploads.html",
        form=form,
        failed=failed,
        kind=kind,
        data_kinds=DATA_KINDS,
        export_kinds=list(EXPORTERS),
        kind_notes=KIND_NOTES,
        columns=COLUMNS,
        limit_mb=UPLOAD_LIMIT_MB,
    )


def _shown_name(filename: str | None) -> str:
    """The uploaded file's own name, without any folders a browser sent along."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    return name or "upload.csv"


def _kind_or_404(value: str, allowed: list[CsvKind] | tuple[CsvKind, ...]) -> CsvKind:
    try:
        kind = CsvKind(value)
    except ValueError:
        raise NotFound(f"There is no spreadsheet of {value!r}.") from None
    if kind not in allowed:
        raise NotFound(f"There is no spreadsheet of {value!r}.")
    return kind


@bp.route("/spreadsheets/templates/<kind>.xlsx")
def upload_template_workbook(kind: str) -> Response:
    """An import format as a workbook: header and example row, and a sheet explaining columns."""
    csv_kind = _kind_or_404(kind, DATA_KINDS)
    out = io.BytesIO()
    template_xlsx(csv_kind, out)
    return xlsx_download(out.getvalue(), f"counselmatch-{csv_kind.value}-template.xlsx")


@bp.route("/spreadsheets/templates/<kind>.csv")
def upload_template(kind: str) -> Response:
    """The header of one import format and one example row."""
    csv_kind = _kind_or_404(kind, DATA_KINDS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[csv_kind], lineterminator="\n")
    writer.writeheader()
    writer.writerow(EXAMPLE_ROWS[csv_kind])
    return csv_download(out.getvalue(), f"counselmatch-{csv_kind.value}-template.csv")


def _export(
    kind: str,
    out: io.StringIO | io.BytesIO,
    write: Callable[[Session, CsvKind, Any], int],
    respond: Callable[[Any, str], Response],
    suffix: str,
) -> Response:
    """Every record of one kind, in the import format, written by `write` into `out`; the copy
    is recorded in the audit trail."""
    csv_kind = _kind_or_404(kind, list(EXPORTERS))
    user = signed_in_user()
    session = get_session()
    with session.begin():
        rows = write(session, csv_kind, out)
        audit.record(session, user, "export", csv_kind.value, rows=rows, via="web")
    filename = f"counselmatch-{csv_kind.value}-{date.today().isoformat()}.{suffix}"
    return respond(out.getvalue(), filename)


@bp.route("/spreadsheets/data/<kind>.xlsx")
def download_workbook(kind: str) -> Response:
    """Every record of one kind as an Excel workbook."""
    return _export(kind, io.BytesIO(), export_xlsx, xlsx_download, "xlsx")


@bp.route("/spreadsheets/data/<kind>.csv")
def download(kind: str) -> Response:
    """Every record of one kind as a CSV file."""
    return _export(kind, io.StringIO(), export_csv, csv_download, "csv")
