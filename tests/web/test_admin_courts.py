"""/admin/courts, both backends: the list, adding and editing with good and bad input, closing
(kept on records, refused for new choices), removing only an unused court, and who may."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import close_all_sessions

from fixtures import factories as f
from models import AuditEvent, Court, Role
from models.courts import CourtText, read_court
from models.csv_formats import COLUMNS, CsvKind
from models.db import Database
from models.imports import ImportFailed, import_csv
from models.reference import load_courts
from tests.conftest import empty_tables
from web.profile_form import court_choices

from .conftest import csrf_token, flash_messages, text_of

SHIPPED = 70
GOOD = {
    "code": "smx",
    "name": "Santa Maria Immigration Court",
    "city": "Santa Maria",
    "state": "ca",
    "latitude": "34.9530",
    "longitude": "-120.4357",
}


@pytest.fixture
def court_list(db: Database) -> Iterator[Database]:
    """The shipped court list back as it was after the test (courts are kept between tests)."""
    yield db
    # The test's own sessions first: on PostgreSQL an open one would keep TRUNCATE waiting.
    close_all_sessions()
    empty_tables(db)
    text = resources.files("models.data").joinpath("courts.csv").read_text(encoding="utf-8")
    shipped = [row["code"] for row in csv.DictReader(text.splitlines())]
    with db.session() as session, session.begin():
        session.execute(delete(Court).where(Court.code.not_in(shipped)))
        load_courts(session)
        session.execute(update(Court).values(active=True))


@pytest.fixture
def admin(signed_in, court_list):
    return signed_in(Role.ADMIN)


def post_court(client, path: str, **fields):
    token = csrf_token(client.get(path))
    return client.post(path, data={"csrf_token": token, **GOOD, **fields})


def court_id(session, code: str) -> int:
    session.expire_all()
    return session.scalar(select(Court.id).where(Court.code == code))


def test_the_list_is_paginated_with_use_counts(client, admin, factories):
    f.ChildFactory(court_code="HOU")
    f.AttorneyFactory(court_codes=["HOU", "DAL"])
    factories.commit()
    page = client.get("/admin/courts")
    assert page.status_code == 200
    text = text_of(page)
    assert f"of {SHIPPED} courts" in text and "page 1 of" in text
    everything = "".join(text_of(client.get(f"/admin/courts?page={n}")) for n in range(1, 6))
    row = everything[everything.index('data-court="HOU"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">1</td>\n      <td class="num">1</td>' in row


def test_adding_a_court_upper_cases_its_codes_and_is_audited(client, admin, factories):
    response = post_court(client, "/admin/courts/new")
    assert response.status_code == 302
    assert "Court SMX added" in flash_messages(client.get(response.headers["Location"]))[0]
    court = factories.get_one(Court, court_id(factories, "SMX"))
    assert (court.state, court.latitude, court.active) == ("CA", 34.953, True)
    event = factories.scalars(select(AuditEvent).where(AuditEvent.action == "court_added")).one()
    assert event.details["code"] == "SMX" and event.actor == admin.email


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "hou", "The code HOU is taken by another court"),
        ("code", "S M", "2 to 8 letters or digits"),
        ("code", "TOOLONGCODE", "Too long"),
        ("code", "", "Write the court's code"),
        ("name", "x" * 201, "Too long: 201 characters, at most 200"),
        ("city", "", "Write the court's city"),
        ("state", "ZZ", "Not a US state"),
        ("latitude", "91", "Must be between -90 and 90"),
        ("latitude", "north", "Not a number"),
        ("longitude", "-180.5", "Must be between -180 and 180"),
        ("longitude", "nan", "Must be between -180 and 180"),
        ("name", "Court\x00", "NUL"),
        ("code", "S\x00X", "NUL"),
    ],
)
def test_bad_input_is_refused_on_its_field(client, admin, factories, field, value, message):
    response = post_court(client, "/admin/courts/new", **{field: value})
    assert response.status_code == 400
    text = text_of(response)
    assert message in text
    assert f'id="{field}-error"' in text
    assert factories.scalar(select(func.count()).select_from(Court)) == SHIPPED


def test_editing_keeps_the_code_unique_and_audits_old_and_new(client, admin, factories):
    post_court(client, "/admin/courts/new")
    smx = court_id(factories, "SMX")
    taken = post_court(client, f"/admin/courts/{smx}", code="Dal")
    assert taken.status_code == 400 and "The code DAL is taken" in text_of(taken)
    saved = post_court(client, f"/admin/courts/{smx}", name="Santa Maria Court", code="SMX")
    assert saved.status_code == 302
    event = factories.scalars(select(AuditEvent).where(AuditEvent.action == "court_changed")).one()
    assert event.details == {
        "changes": {"name": {"old": "Santa Maria Immigration Court", "new": "Santa Maria Court"}}
    }
    again = post_court(client, f"/admin/courts/{smx}", name="Santa Maria Court", code="SMX")
    assert "Nothing changed" in flash_messages(client.get(again.headers["Location"]))[0]


def test_a_court_in_use_is_not_removed_but_can_be_closed_and_reopened(client, admin, factories):
    f.ChildFactory(court_code="ELP")
    factories.commit()
    elp = court_id(factories, "ELP")
    page = client.get(f"/admin/courts/{elp}")
    assert "A court in use cannot be removed" in text_of(page)
    token = csrf_token(page)
    refused = client.post(f"/admin/courts/{elp}/remove", data={"csrf_token": token})
    assert refused.status_code == 302
    assert (
        "cannot be removed: 1 child and 0 attorneys"
        in flash_messages(client.get(f"/admin/courts/{elp}"))[0]
    )
    assert court_id(factories, "ELP") == elp

    closed = client.post(f"/admin/courts/{elp}/close", data={"csrf_token": token})
    assert "Court ELP closed" in flash_messages(client.get(closed.headers["Location"]))[0]
    factories.expire_all()
    assert factories.get_one(Court, elp).active is False
    twice = client.post(f"/admin/courts/{elp}/close", data={"csrf_token": token})
    assert "closed already" in flash_messages(client.get(twice.headers["Location"]))[0]
    client.post(f"/admin/courts/{elp}/reopen", data={"csrf_token": token})
    factories.expire_all()
    assert factories.get_one(Court, elp).active is True
    actions = factories.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "court").order_by(AuditEvent.id)
    ).all()
    assert actions == ["court_closed", "court_reopened"]


def test_an_unused_court_is_removed(client, admin, factories):
    post_court(client, "/admin/courts/new")
    smx = court_id(factories, "SMX")
    token = csrf_token(client.get(f"/admin/courts/{smx}"))
    response = client.post(f"/admin/courts/{smx}/remove", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/admin/courts")
    assert court_id(factories, "SMX") is None
    assert factories.scalar(select(AuditEvent).where(AuditEvent.action == "court_removed"))


def test_a_closed_court_keeps_its_records_but_takes_no_new_ones(client, admin, factories):
    attorney = f.AttorneyFactory(court_codes=["ELP"])
    f.ChildFactory(court_code="ELP", external_id="C-KEPT")
    factories.commit()
    factories.execute(update(Court).where(Court.code == "ELP").values(active=False))
    factories.commit()
    header = ",".join(COLUMNS[CsvKind.CHILDREN]) + "\n"

    def row(external_id: str) -> str:
        return (
            f"{external_id},Ana,Cux,,2012-01-02,F,Guatemala,Spanish,,ELP,asylum,,false,,"
            "2026-01-05\n"
        )

    def load(*rows: str) -> None:
        data = (header + "".join(rows)).encode()
        with factories.begin():
            import_csv(factories, CsvKind.CHILDREN, data, actor="cli", filename="kids.csv")

    load(row("C-KEPT"))  # the child already at the closed court is updated
    with pytest.raises(ImportFailed, match="court ELP is closed"):
        load(row("C-NEW"))
    # The profile form keeps it for the attorney who lists it; nobody else is offered it.
    assert "ELP" in dict(court_choices(factories, [c.court_id for c in attorney.courts]))
    assert "ELP" not in dict(court_choices(factories))


@pytest.mark.parametrize("court", ["2147483648", "9223372036854775808", "999999"])
def test_an_id_out_of_range_or_unknown_is_a_404(client, admin, court):
    assert client.get(f"/admin/courts/{court}").status_code == 404
    token = csrf_token(client.get("/admin/courts/new"))
    for step in ("close", "reopen", "remove"):
        response = client.post(f"/admin/courts/{court}/{step}", data={"csrf_token": token})
        assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ATTORNEY, Role.PROGRAM_LEAD])
@pytest.mark.parametrize(
    "path", ["/admin/courts", "/admin/courts/new", "/admin/courts/1", "/admin/outbox"]
)
def test_only_admins_reach_the_admin_pages(client, signed_in, court_list, role, path):
    signed_in(role)
    assert client.get(path).status_code == 403
    token = csrf_token(client.get("/account"))
    for action in ("/admin/courts/1/remove", "/admin/courts/new", "/admin/outbox/1/resend"):
        assert client.post(action, data={"csrf_token": token}).status_code == 403


def test_a_post_without_the_csrf_token_changes_nothing(client, admin, factories):
    response = client.post("/admin/courts/new", data=GOOD)
    assert response.status_code == 400
    assert court_id(factories, "SMX") is None


def test_read_court_reads_what_the_form_holds(factories):
    values = read_court(factories, CourtText(**GOOD))
    assert (values.code, values.state, values.longitude) == ("SMX", "CA", -120.4357)
