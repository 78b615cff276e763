"""/reports: the list of reports, one page per report, and each table as CSV and as a chart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Response, abort, render_template, url_for
from werkzeug.exceptions import NotFound

from reports.catalogue import CATALOGUE, ReportEntry
from reports.charts import chart_svg
from reports.filters import ReportFilters
from reports.tables import Report, ReportTable
from reports.tuning import tune_for_reports

from ..downloads import csv_download
from ..extensions import get_session
from . import bp
from .forms import ReportFilterForm

# A chart is an image of its own: matplotlib's SVG styles itself inline, which the pages'
# policy forbids; this one allows only that (no script, nothing fetched).
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _entry(key: str) -> ReportEntry:
    entry = CATALOGUE.get(key)
    if entry is None:
        raise NotFound("There is no such report.")
    return entry


def filter_form() -> tuple[ReportFilterForm, ReportFilters]:
    form = ReportFilterForm()
    form.set_choices(get_session())
    return form, form.filters()


def build_report(entry: ReportEntry, filters: ReportFilters) -> Report:
    # Read-only: the request's session (already begun by the sign-in check) is enough.
    session = get_session()
    tune_for_reports(session)
    return entry.build(session, filters, date.today())


def _table(key: str, table_key: str) -> tuple[ReportEntry, ReportFilters, ReportTable]:
    entry = _entry(key)
    _form, filters = filter_form()
    table = build_report(entry, filters).table(table_key)
    if table is None:
        abort(404)
    return entry, filters, table


def chart_link(key: str, filters: ReportFilters) -> Callable[[ReportTable], str]:
    return lambda table: url_for(".chart", key=key, table_key=table.key, **filters.as_query_args())


def csv_link(key: str, filters: ReportFilters) -> Callable[[ReportTable], str]:
    return lambda table: url_for(
        ".table_csv", key=key, table_key=table.key, **filters.as_query_args()
    )


@bp.route("")
def index() -> str:
    form, filters = filter_form()
    return render_template(
        "reports/index.html",
        entries=list(CATALOGUE.values()),
        form=form,
        filters=filters,
        as_of=date.today(),
    )


@bp.route("/<key>")
def report(key: str) -> str:
    entry = _entry(key)
    form, filters = filter_form()
    built = build_report(entry, filters)
    return render_template(
        "reports/report.html",
        entry=entry,
        report=built,
        form=form,
        filters=filters,
        as_of=date.today(),
        chart_url=chart_link(key, filters),
        csv_url=csv_link(key, filters),
    )


@bp.route("/<key>/<table_key>.csv")
def table_csv(key: str, table_key: str) -> Response:
    entry, _filters, table = _table(key, table_key)
    return csv_download(
        table.csv(), f"counselmatch-{entry.key}-{table.key}-{date.today().isoformat()}.csv"
    )


@bp.route("/<key>/<table_key>.svg")
def chart(key: str, table_key: str) -> Response:
    _entry_, _filters, table = _table(key, table_key)
    svg = chart_svg(table)
    if not svg:
        abort(404)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_POLICY
    return response
