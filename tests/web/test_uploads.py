"""Spreadsheets in the browser: the command line's import (all or nothing, every bad row shown),
dry runs, templates that import, and audited downloads of the current data."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from fixtures import factories as f
from models.base import Base
from models.csv_formats import COLUMNS, DATA_KINDS, CsvKind
from models.entities import AuditEvent, Child, MatchStatus, Role
from models.exports import EXPORTERS, export_csv
from models.imports import ImportFailed, import_csv
from tests.conftest import REFERENCE_TABLES
from tests.models.imports.helpers import ATTORNEY, ATTORNEYS, CHILDREN, attorney, child, rows
from tests.models.imports.test_workbooks import workbook
from web.coordinator.forms import UPLOAD_LIMIT_MB

from .conftest import csrf_token, flash_messages

PAGE = "/spreadsheets"


def upload(
    client,
    kind: str,
    data: bytes,
    filename: str = "in.csv",
    dry_run: bool = False,
    sheet: str | None = None,
):
    form = {
        "csrf_token": csrf_token(client.get(PAGE)),
        "kind": kind,
        "file": (io.BytesIO(data), filename),
    }
    if dry_run:
        form["dry_run"] = "y"
    if sheet is not None:
        form["sheet"] = sheet
    return client.post(PAGE, data=form, content_type="multipart/form-data")


def problems_shown(html: str) -> list[tuple[str, str, str, str]]:
    """(line, column, value, message) of each row of the problems table, unescaped."""
    found = re.findall(
        r'<tr class="problem">\s*<td class="nowrap">([^<]*)</td>\s*<td>([^<]*)</td>\s*'
        r"<td>(?:<code>([^<]*)</code>|&ndash;)</td>\s*<td>([^<]*)</td>",
        html,
    )
    return [tuple(_unescape(cell) for cell in row) for row in found]


def _unescape(text: str) -> str:
    return (
        text.replace("&#39;", "'").replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">")
    ).replace("&amp;", "&")


def data_tables(db) -> dict[str, list[str]]:
    """Every row of every table but the reference data and the audit trail."""
    with db.session() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)).all())
            for table in Base.metadata.sorted_tables
            if table.name not in REFERENCE_TABLES | {"audit_events"}
        }


def audit_trail(db) -> list[tuple[str, str, str, dict]]:
    with db.session() as session:
        return [
            (e.actor, e.action, e.entity_type, e.details)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action != "sign_in").order_by(AuditEvent.id)
            )
        ]


def expected_errors(db, kind: CsvKind, data: bytes, filename: str) -> list[tuple[str, ...]]:
    """What `counselmatch import` reports for the same file, read without the web."""
    with db.session() as session, session.begin():
        with pytest.raises(ImportFailed) as failed:
            import_csv(session, kind, data, actor="test", filename=filename, dry_run=True)
    return [
        (str(e.line) if e.line else "whole file", e.column or "–", e.value, e.message)
        for e in failed.value.errors
    ]


SPREADSHEET_PATHS = [
    PAGE,
    f"{PAGE}/templates/children.csv",
    f"{PAGE}/templates/children.xlsx",
    f"{PAGE}/data/children.csv",
    f"{PAGE}/data/children.xlsx",
]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_spreadsheet_page(client, db):
    for path in SPREADSHEET_PATHS:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD], ids=lambda r: r.value)
def test_only_coordinators_reach_the_spreadsheets(client, signed_in, db, role):
    signed_in(role)
    token = csrf_token(client.get("/"))
    for path in SPREADSHEET_PATHS:
        assert client.get(path).status_code == 403, path
    response = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "kind": "children",
            "file": (io.BytesIO(rows(CHILDREN, child())), "c.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 0
        assert (
            session.scalar(
                select(func.count()).where(AuditEvent.action == "export").select_from(AuditEvent)
            )
            == 0
        )


def test_a_windows_1252_upload_is_imported_and_the_message_says_so(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    data = rows(CHILDREN, child(first_name="Jos\u00e9")).decode().encode("cp1252")

    response = upload(client, "children", data, "children.csv")

    assert response.status_code == 302
    assert flash_messages(client.get(PAGE).get_data(as_text=True)) == [
        "children.csv: 1 children imported (1 new, 0 updated). "
        "The file is not UTF-8: it was read as Windows-1252."
    ]
    with db.session() as session:
        assert session.scalars(select(Child.first_name)).one() == "Jos\u00e9"


def test_us_dates_are_imported_from_the_upload_page(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    data = rows(CHILDREN, child(birth_date="5/26/2009", next_hearing_date="12/1/2026"))

    assert upload(client, "children", data, "children.csv").status_code == 302
    with db.session() as session:
        stored = session.execute(select(Child.birth_date, Child.next_hearing_date)).one()
    assert tuple(stored) == (date(2009, 5, 26), date(2026, 12, 1))


def test_a_workbook_is_uploaded_from_its_named_sheet(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    header = list(COLUMNS[CHILDREN])
    data = workbook(
        ("Read me", [["notes"]]),
        ("Children", [header, [child()[column] for column in header]]),
    )

    response = upload(client, "children", data, "children.xlsx", sheet="Children")

    assert response.status_code == 302
    assert flash_messages(client.get(PAGE).get_data(as_text=True)) == [
        "children.xlsx: 1 children imported (1 new, 0 updated)."
    ]


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ("Chil\x00dren", "Remove the invisible NUL character from what you typed."),
        ("x" * 101, "A sheet name is at most 100 characters."),
    ],
)
def test_a_sheet_name_with_a_nul_or_too_long_is_refused_on_its_field(
    client, signed_in, db, sheet, message
):
    signed_in(Role.COORDINATOR)
    data = workbook(("Children", [list(COLUMNS[CHILDREN])]))

    response = upload(client, "children", data, "children.xlsx", sheet=sheet)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 0


def test_a_workbook_download_reimports_through_the_upload_page(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    upload(client, "children", rows(CHILDREN, child(), child(external_id="C-2", a_number="")))

    response = client.get("/spreadsheets/data/children.xlsx")

    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="counselmatch-children-' in response.headers["Content-Disposition"]
    upload(client, "children", response.data, "children.xlsx")
    assert flash_messages(client.get(PAGE).get_data(as_text=True))[-1] == (
        "children.xlsx: 2 children imported (0 new, 2 updated)."
    )


def test_the_workbook_templates_explain_every_column_and_import_as_they_are(client, signed_in):
    signed_in(Role.COORDINATOR)
    for kind in (CsvKind.ATTORNEYS, CsvKind.CHILDREN, CsvKind.CONFLICTS):  # the import order
        response = client.get(f"/spreadsheets/templates/{kind.value}.xlsx")
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == [kind.value, "Columns"]
        explained = [row for row in book["Columns"].iter_rows(values_only=True)][1:]
        assert [column for column, _ in explained] == list(COLUMNS[kind])
        assert all(text for _, text in explained)

        upload(client, kind.value, response.data, f"{kind.value}.xlsx")
        assert flash_messages(client.get(PAGE).get_data(as_text=True))[-1] == (
            f"{kind.value}.xlsx: 1 {kind.value} imported (1 new, 0 updated)."
        )


def test_the_page_offers_upload_templates_and_downloads(client, signed_in):
    signed_in(Role.COORDINATOR)
    html = client.get(PAGE).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert '<label class="label" for="file">CSV file or Excel workbook</label>' in html
    assert 'type="checkbox"' in html and "dry run" in html
    for kind in DATA_KINDS:
        assert f'href="/spreadsheets/templates/{kind.value}.csv"' in html
        assert f'href="/spreadsheets/templates/{kind.value}.xlsx"' in html
    for kind in EXPORTERS:
        assert f'href="/spreadsheets/data/{kind.value}.csv"' in html
        assert f'href="/spreadsheets/data/{kind.value}.xlsx"' in html
    assert f"up to {UPLOAD_LIMIT_MB} MB" in html
    assert html.count("<h1>") == 1 and "style=" not in html and "<script" not in html


def test_a_good_file_is_imported_and_audited(client, signed_in, db):
    user = signed_in(Role.COORDINATOR)
    data = rows(CHILDREN, child(), child(external_id="C-2", a_number=""))

    response = upload(client, "children", data, "children.csv")

    assert response.status_code == 302 and response.headers["Location"] == PAGE
    html = client.get(PAGE).get_data(as_text=True)
    assert flash_messages(html) == ["children.csv: 2 children imported (2 new, 0 updated)."]
    with db.session() as session:
        assert sorted(session.scalars(select(Child.external_id))) == ["C-1", "C-2"]
    assert audit_trail(db) == [
        (user.email, "import", "children", {"rows": 2, "created": 2, "updated": 0})
    ]

    upload(client, "children", data, "children.csv")
    assert flash_messages(client.get(PAGE).get_data(as_text=True)) == [
        "children.csv: 2 children imported (0 new, 2 updated)."
    ]


def test_a_bad_file_shows_every_bad_row_and_imports_nothing(client, signed_in, db, factories):
    user = signed_in(Role.COORDINATOR)
    f.ChildFactory(external_id="C-KEEP")
    factories.commit()
    before = data_tables(db)
    data = rows(
        CHILDREN,
        child(),  # good, but the file is all or nothing
        child(external_id="C-2", birth_date="2010-02-30", court_code="XXX", a_number="12"),
        child(external_id="C-3", case_type="asylum;sijs", primary_language="Klingon"),
        child(external_id="C-4", detained="maybe", sex="Q"),
        child(external_id="C-1", first_name=""),  # the same child twice
    )

    response = upload(client, "children", data, r"C:\Users\me\children <new>.csv")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    shown = problems_shown(html)
    assert shown == expected_errors(db, CHILDREN, data, "children <new>.csv")
    assert len(shown) >= 8
    assert {line for line, *_ in shown} == {"3", "4", "5", "6"}
    assert "Nothing was imported" in html
    assert f"children &lt;new&gt;.csv has {len(shown)} problems" in html
    assert data_tables(db) == before
    assert audit_trail(db) == [
        (user.email, "import_refused", "children", {"problems": len(shown), "dry_run": False})
    ]


def test_a_file_that_is_not_csv_is_one_whole_file_problem(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    response = upload(client, "attorneys", b"PK\x03\x04 not really a workbook", "book.xlsx")
    shown = problems_shown(response.get_data(as_text=True))
    assert response.status_code == 422
    assert shown == expected_errors(db, ATTORNEYS, b"PK\x03\x04 not really a workbook", "book.xlsx")
    assert shown[0][:3] == ("whole file", "–", "") and "CSV UTF-8" in shown[0][3]


def test_a_dry_run_checks_and_writes_nothing(client, signed_in, db):
    user = signed_in(Role.COORDINATOR)
    before = data_tables(db)

    response = upload(client, "attorneys", rows(ATTORNEYS, ATTORNEY), "a.csv", dry_run=True)

    assert response.status_code == 302
    assert flash_messages(client.get(PAGE).get_data(as_text=True)) == [
        "a.csv: 1 attorneys checked, no problems (1 new, 0 updated on import). "
        "Dry run: nothing was imported."
    ]
    assert data_tables(db) == before
    assert audit_trail(db) == [(user.email, "import_checked", "attorneys", {"rows": 1})]


def test_a_dry_run_of_a_bad_file_shows_the_problems(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    data = rows(ATTORNEYS, attorney(languages="Spanish:great", capacity="-1"))
    response = upload(client, "attorneys", data, "a.csv", dry_run=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problems_shown(html) == expected_errors(db, ATTORNEYS, data, "a.csv")
    assert "Nothing was imported" in html
    assert audit_trail(db)[-1][1:] == (
        "import_refused",
        "attorneys",
        {"problems": 2, "dry_run": True},
    )


def test_an_upload_without_a_file_says_what_to_do(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    response = client.post(
        PAGE,
        data={"csrf_token": csrf_token(client.get(PAGE)), "kind": "children"},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#file">Choose a CSV file or an Excel workbook (.xlsx) to upload.</a>' in html
    assert 'aria-invalid="true"' in html


def test_a_file_over_the_limit_is_refused(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    data = rows(CHILDREN, child()) + b"\n" * (UPLOAD_LIMIT_MB * 1024 * 1024)
    form = {
        "csrf_token": csrf_token(client.get(PAGE)),
        "kind": "children",
        "file": FileStorage(io.BytesIO(data), "huge.csv", content_type="text/csv"),
    }
    # Encoded in memory: the test client's own encoding would leave a temporary file open.
    body, length, boundary = stream_encode_multipart(form, use_tempfile=False)
    response = client.post(
        PAGE,
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422
    assert f"The file is larger than {UPLOAD_LIMIT_MB} MB" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 0


def test_an_upload_without_csrf_token_is_refused(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    response = client.post(
        PAGE,
        data={"kind": "children", "file": (io.BytesIO(rows(CHILDREN, child())), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 0


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the mark
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_templates_have_the_header_and_an_example_that_imports(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    for kind in DATA_KINDS:  # children and attorneys first: the conflict names them
        response = client.get(f"{PAGE}/templates/{kind.value}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="counselmatch-{kind.value}-template.csv"'
        )
        header, *examples = _csv(response)
        assert tuple(header) == COLUMNS[kind] and len(examples) == 1

        imported = upload(client, kind.value, response.get_data(), f"{kind.value}.csv")

        assert imported.status_code == 302, problems_shown(imported.get_data(as_text=True))
    assert len(audit_trail(db)) == 3  # three imports; templates hold no data to audit


@pytest.mark.parametrize("path", ["templates/runs.csv", "templates/nope.csv", "data/nope.csv"])
def test_unknown_spreadsheets_are_not_found(client, signed_in, path):
    signed_in(Role.COORDINATOR)
    assert client.get(f"{PAGE}/{path}").status_code == 404


def test_downloads_hold_the_current_data_and_are_audited(client, signed_in, db, factories):
    user = signed_in(Role.COORDINATOR)
    match = f.MatchFactory(status=MatchStatus.PROPOSED)
    f.ConflictFactory(attorney=match.attorney)
    f.UnmatchedChildFactory(run=f.MatchRunFactory())
    factories.commit()

    for kind in EXPORTERS:
        response = client.get(f"{PAGE}/data/{kind.value}.csv")

        assert response.status_code == 200 and response.mimetype == "text/csv"
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(
            rf'attachment; filename="counselmatch-{kind.value}-\d{{4}}-\d{{2}}-\d{{2}}\.csv"',
            disposition,
        )
        expected = io.StringIO()
        with db.session() as session:
            count = export_csv(session, kind, expected)
        assert count >= 1
        assert _csv(response) == list(csv.reader(io.StringIO(expected.getvalue())))

    exports = [event for event in audit_trail(db) if event[1] == "export"]
    assert [(actor, kind) for actor, _, kind, _ in exports] == [
        (user.email, kind.value) for kind in EXPORTERS
    ]
    assert all(details["via"] == "web" and details["rows"] >= 1 for *_, details in exports)
