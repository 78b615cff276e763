"""The erase step from the child page (/children/<id>/erase), both backends: the confirmation
page, good and bad input, refusals, ids out of range, and who may erase."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixtures import factories as f
from models import AuditEvent, CaseStatus, Match, Role
from models.erasure import erase_child
from tests.models.erasure_story import child_row, closed_story, traces

from .conftest import csrf_token, flash_messages, text_of


@pytest.fixture
def story(factories):
    return closed_story(factories)


def erase(client, child_id: int, **data):
    page = client.get(f"/children/{child_id}/erase")
    form = {"csrf_token": csrf_token(page), "reason": "child_request", "confirm": "y", **data}
    return client.post(f"/children/{child_id}/erase", data=form)


def test_the_child_page_offers_the_step_and_the_page_says_what_goes(client, signed_in, story):
    signed_in(Role.COORDINATOR)
    child_page = text_of(client.get(f"/children/{story.child_id}"))
    assert f'href="/children/{story.child_id}/erase"' in child_page
    page = client.get(f"/children/{story.child_id}/erase")
    assert page.status_code == 200
    text = text_of(page)
    assert "Erased for good:" in text and "Kept, without anything that names the child:" in text
    assert "7 years after they close" in text
    assert 'name="reason"' in text and 'name="confirm"' in text


def test_erasing_shows_the_record_as_erased_and_leaves_no_trace(
    client, signed_in, story, factories
):
    signed_in(Role.COORDINATOR)
    response = erase(client, story.child_id, note="Asked by phone")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert any("personal data are erased" in m for m in flash_messages(page))
    text = text_of(page)
    assert "Record erased on" in text and "Yolanda" not in text
    assert 'data-erased="' in text and "Correct the languages" not in text
    assert traces(factories) == []
    assert (
        factories.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "child_erased")
        ).one()["reason_code"]
        == "child_request"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": ""}, "Choose why the record is erased."),
        ({"reason": "not-a-reason"}, "Choose why the record is erased."),
        ({"reason": "other", "note": ""}, "needs one"),
        ({"note": "by\x00phone"}, "NUL"),
        ({"note": "x" * 501}, "At most 500 characters."),
        ({"confirm": ""}, "Tick the box to confirm the erasure."),
    ],
)
def test_bad_input_is_refused_on_its_field(client, signed_in, story, factories, data, message):
    signed_in(Role.COORDINATOR)
    response = erase(client, story.child_id, **data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert child_row(factories, story.child_id).first_name == "Yolanda"


def test_an_open_case_cannot_be_erased(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    child = f.ChildFactory(first_name="Ixchel")
    factories.commit()
    page = text_of(client.get(f"/children/{child.id}"))
    assert "An open case cannot be erased" in page
    response = erase(client, child.id)
    assert response.status_code == 400
    assert "This case is open" in text_of(response)
    assert child_row(factories, child.id).case_status == CaseStatus.OPEN
    assert child_row(factories, child.id).first_name == "Ixchel"


def test_erasing_twice_says_it_is_done_already(client, signed_in, story):
    signed_in(Role.COORDINATOR)
    erase(client, story.child_id)
    again = client.get(f"/children/{story.child_id}/erase")
    assert "This record was erased on" in text_of(again)


@pytest.mark.parametrize("child_id", ["2147483648", "9223372036854775808", "999999"])
def test_an_id_out_of_range_or_unknown_is_a_404(client, signed_in, child_id):
    signed_in(Role.COORDINATOR)
    assert client.get(f"/children/{child_id}/erase").status_code == 404
    token = csrf_token(client.get("/review"))
    response = client.post(
        f"/children/{child_id}/erase",
        data={"csrf_token": token, "reason": "child_request", "confirm": "y"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN])
def test_only_coordinators_erase(client, signed_in, story, factories, role):
    signed_in(role)
    assert client.get(f"/children/{story.child_id}/erase").status_code == 403
    token = csrf_token(client.get("/account"))
    response = client.post(
        f"/children/{story.child_id}/erase",
        data={"csrf_token": token, "reason": "child_request", "confirm": "y"},
    )
    assert response.status_code == 403
    assert child_row(factories, story.child_id).erased_at is None


def test_without_the_csrf_token_nothing_is_erased(client, signed_in, story, factories):
    signed_in(Role.COORDINATOR)
    response = client.post(
        f"/children/{story.child_id}/erase", data={"reason": "child_request", "confirm": "y"}
    )
    assert response.status_code == 400
    assert child_row(factories, story.child_id).erased_at is None


def test_the_attorney_sees_the_erased_closed_case_without_its_data(
    client, auth, story, factories, make_user
):
    match = factories.get_one(Match, story.match_ids["closed"])
    lawyer = make_user(Role.ATTORNEY, attorney=match.attorney)
    coordinator = make_user(Role.COORDINATOR, email="other-coord@example.org")
    with factories.begin():
        erase_child(factories, story.child_id, coordinator, "attorney_request")
    auth.login(lawyer.email)
    cases = client.get("/attorney/cases")
    assert cases.status_code == 200 and "Record erased on" in text_of(cases)
    page = client.get(f"/attorney/cases/{match.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "erased, with the name and A-number" in text and "Yolanda" not in text
