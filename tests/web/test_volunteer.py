"""The public volunteer sign-up and the coordinators' answer: stored pending and inactive,
never matched by a real run until approved, the honeypot, the rate limit, approve and decline."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from fixtures import factories as f
from jobs.matching import run_match
from models.entities import Attorney, AuditEvent, Match, Role, VolunteerStatus
from web.volunteer import MAX_SIGN_UPS

from .conftest import csrf_token, flash_messages, post_from, text_of

SIGN_UP = {
    "name": "Dana Reyes",
    "email": "Dana@Reyes.example",
    "firm": "Reyes LLP",
    "website": "",
    "languages": "English:native; Spanish:fluent",
    "courts": ["HOU"],
    "states_admitted": "TX",
    "home_latitude": "29.8",
    "home_longitude": "-95.4",
    "travel_radius_km": "50",
    "expertise_asylum": "experienced",
    "capacity": "2",
}


def _sign_up(client, data=None, address="203.0.113.7"):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/volunteer", environ_base=environ)
    return client.post(
        "/volunteer",
        data={"csrf_token": csrf_token(page), **(data or SIGN_UP)},
        environ_base=environ,
    )


def _volunteers(session):
    session.expire_all()
    return session.scalars(select(Attorney).where(Attorney.volunteer_status.is_not(None))).all()


def test_the_sign_up_page_is_public_and_labelled(client):
    page = client.get("/volunteer")
    html = text_of(page)
    assert page.status_code == 200
    for name in ("name", "email", "firm", "languages", "capacity", "expertise_asylum"):
        assert f'for="{name}"' in html and f'id="{name}"' in html
    assert 'class="honeypot" aria-hidden="true"' in html


def test_a_sign_up_lands_pending_inactive_and_is_never_matched(client, db, factories):
    f.ChildFactory()  # a Houston asylum case in Spanish: the volunteer would fit it
    factories.commit()
    response = _sign_up(client)
    assert response.status_code == 302 and response.location.endswith("/volunteer/thanks")
    assert "Thank you for volunteering" in text_of(client.get(response.location))
    [volunteer] = _volunteers(factories)
    assert (volunteer.active, volunteer.volunteer_status) == (False, VolunteerStatus.PENDING)
    assert (volunteer.name, volunteer.email, volunteer.capacity) == (
        "Dana Reyes",
        "dana@reyes.example",
        2,
    )
    run_match(db, as_of=date.today(), trigger="command")
    assert factories.scalars(select(Match)).all() == []
    # Approved, the same profile is matched by the next run.
    coordinator = f.UserFactory(email="coordinator@example.org")
    factories.commit()
    login = client.get("/login")
    client.post(
        "/login",
        data={
            "email": coordinator.email,
            "password": f.FACTORY_PASSWORD,
            "csrf_token": csrf_token(login),
        },
    )
    approved = post_from(client, "/volunteers", f"/attorneys/{volunteer.id}/approve")
    assert approved.status_code == 302
    run_match(db, as_of=date.today(), trigger="command")
    factories.expire_all()
    assert [m.attorney_id for m in factories.scalars(select(Match))] == [volunteer.id]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "", "A value is required"),
        ("name", "N" * 201, "Too long"),
        ("email", "dana-at-reyes", "Not an email address"),
        ("email", "dana@reyes.example\x00", "NUL character"),
        ("firm", "F" * 201, "Too long"),
        ("languages", "Klingon:fluent", "unknown language 'Klingon'"),
        ("courts", ["NOPE"], "unknown court code 'NOPE'"),
        ("capacity", "51", "between 0 and 50 cases"),
        ("expertise_asylum", "", "at least one case type"),
    ],
)
def test_a_bad_sign_up_is_refused_on_its_field_and_stores_nothing(
    client, session, field, value, says
):
    response = _sign_up(client, {**SIGN_UP, field: value})
    assert response.status_code == 400
    html = text_of(response)
    marker = f'id="{field}-error">'
    assert marker in html
    assert says in html[html.index(marker) : html.index("</p>", html.index(marker))]
    assert _volunteers(session) == []


def test_a_filled_honeypot_is_dropped_silently(client, session):
    response = _sign_up(client, {**SIGN_UP, "website": "http://spam.example"})
    assert response.status_code == 302 and response.location.endswith("/volunteer/thanks")
    assert _volunteers(session) == []
    assert session.scalars(select(AuditEvent)).all() == []


def test_sign_up_needs_csrf(client, session):
    response = client.post("/volunteer", data=SIGN_UP)
    assert response.status_code == 400
    assert _volunteers(session) == []


def test_sign_ups_are_limited_per_client_address(client, session):
    for _ in range(MAX_SIGN_UPS):
        assert _sign_up(client).status_code == 302
    refused = _sign_up(client)
    assert refused.status_code == 429
    assert "Too many sign-ups from this connection" in text_of(refused)
    assert len(_volunteers(session)) == MAX_SIGN_UPS
    # Another address is not held back by this one.
    assert _sign_up(client, address="198.51.100.9").status_code == 302
    # The audit trail keys the limit by a hash, never the address itself.
    keys = session.scalars(select(AuditEvent.entity_id)).all()
    assert all("203.0.113.7" not in (key or "") for key in keys)


# --- the coordinators' answer ---------------------------------------------------------------


@pytest.fixture
def pending(client, session):
    assert _sign_up(client).status_code == 302
    [volunteer] = _volunteers(session)
    return volunteer


def test_coordinators_see_pending_volunteers_with_the_actions(client, signed_in, pending):
    signed_in(Role.COORDINATOR)
    page = client.get("/volunteers")
    html = text_of(page)
    assert page.status_code == 200
    assert "Dana Reyes" in html and "dana@reyes.example" in html and "HOU" in html
    assert "English (native)" in html
    assert f'action="/attorneys/{pending.id}/approve"' in html
    assert f'action="/attorneys/{pending.id}/decline"' in html


def test_the_coordinators_edit_page_offers_the_answer_while_pending(client, signed_in, pending):
    signed_in(Role.COORDINATOR)
    html = text_of(client.get(f"/attorneys/{pending.id}/profile"))
    assert f'action="/attorneys/{pending.id}/approve"' in html
    assert f'name="return_to" value="/attorneys/{pending.id}/profile"' in html


def test_approve_activates_and_is_audited(client, signed_in, pending, session):
    coordinator = signed_in(Role.COORDINATOR)
    response = post_from(client, "/volunteers", f"/attorneys/{pending.id}/approve")
    assert response.status_code == 302 and response.location.endswith("/volunteers")
    assert "Invite them so they can sign in" in " ".join(flash_messages(client.get("/volunteers")))
    session.expire_all()
    stored = session.get_one(Attorney, pending.id)
    assert (stored.active, stored.volunteer_status) == (True, VolunteerStatus.APPROVED)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "volunteer_approved")
    ).one()
    assert (event.user_id, event.entity_id, event.details) == (coordinator.id, str(pending.id), {})
    # A second answer is refused with a message.
    again = post_from(client, "/volunteers", f"/attorneys/{pending.id}/decline")
    assert again.status_code == 302
    assert any("not awaiting an answer" in m for m in flash_messages(client.get("/volunteers")))
    session.expire_all()
    assert session.get_one(Attorney, pending.id).volunteer_status == VolunteerStatus.APPROVED


def test_decline_keeps_the_profile_inactive(client, signed_in, pending, session):
    signed_in(Role.COORDINATOR)
    response = post_from(client, "/volunteers", f"/attorneys/{pending.id}/decline")
    assert response.status_code == 302
    session.expire_all()
    stored = session.get_one(Attorney, pending.id)
    assert (stored.active, stored.volunteer_status) == (False, VolunteerStatus.DECLINED)
    assert session.scalars(
        select(AuditEvent).where(AuditEvent.action == "volunteer_declined")
    ).one()
    assert "No volunteer is awaiting an answer." in text_of(client.get("/volunteers"))


def test_an_imported_attorney_is_not_a_volunteer_to_approve(client, signed_in, factories):
    attorney = f.AttorneyFactory(active=False)
    factories.commit()
    signed_in(Role.COORDINATOR)
    post_from(client, "/volunteers", f"/attorneys/{attorney.id}/approve")
    assert any(
        "did not come through the volunteer sign-up" in m
        for m in flash_messages(client.get("/volunteers"))
    )
    factories.expire_all()
    assert factories.get_one(Attorney, attorney.id).active is False


def test_answers_to_no_such_attorney_are_404(client, signed_in):
    signed_in(Role.COORDINATOR)
    for attorney_id in ("4242", "99999999999999999999"):
        for verb in ("approve", "decline"):
            response = post_from(client, "/volunteers", f"/attorneys/{attorney_id}/{verb}")
            assert response.status_code == 404


def test_approve_needs_csrf(client, signed_in, pending, session):
    signed_in(Role.COORDINATOR)
    assert client.post(f"/attorneys/{pending.id}/approve").status_code == 400
    session.expire_all()
    assert session.get_one(Attorney, pending.id).volunteer_status == VolunteerStatus.PENDING


def test_an_offsite_return_to_is_ignored(client, signed_in, pending):
    signed_in(Role.COORDINATOR)
    response = post_from(
        client,
        "/volunteers",
        f"/attorneys/{pending.id}/approve",
        {"return_to": "//evil.example/x"},
    )
    assert response.status_code == 302 and response.location == "/volunteers"


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN])
def test_only_coordinators_answer_volunteers(client, signed_in, pending, session, role):
    signed_in(role)
    assert client.get("/volunteers").status_code == 403
    token = csrf_token(client.get("/"))
    for verb in ("approve", "decline"):
        response = client.post(f"/attorneys/{pending.id}/{verb}", data={"csrf_token": token})
        assert response.status_code == 403
    session.expire_all()
    assert session.get_one(Attorney, pending.id).volunteer_status == VolunteerStatus.PENDING


def test_anonymous_visitors_cannot_answer_volunteers(client, pending, session):
    token = csrf_token(client.get("/volunteer"))
    response = client.post(f"/attorneys/{pending.id}/approve", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.location
    session.expire_all()
    assert session.get_one(Attorney, pending.id).active is False
