"""The attorney's profile and leave pages, and a coordinator editing a profile on an attorney's
behalf: good and bad input through the test client (CSRF on), isolation, roles, and capacity 0
seen by a real run."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from fixtures import factories as f
from jobs.matching import run_match
from models.entities import Attorney, AuditEvent, LeavePeriod, Match, Role
from tests.conftest import days

from .conftest import csrf_token, flash_messages, post_from, text_of

GOOD = {
    "languages": "English:native; Spanish:fluent; Mam:working",
    "courts": ["HOU", "DAL"],
    "states_admitted": "TX; NY",
    "home_latitude": "29.76",
    "home_longitude": "-95.37",
    "travel_radius_km": "80",
    "remote_ok": "y",
    "expertise_asylum": "expert",
    "expertise_sijs": "mentored",
    "takes_detained": "y",
    "capacity": "4",
}


@pytest.fixture
def attorney_user(make_user, auth):
    """An attorney account linked to a profile, signed in."""
    user = make_user(Role.ATTORNEY, attorney=f.AttorneyFactory(capacity=2))
    assert auth.login(user.email).status_code == 302
    return user


def _error_of(page, field_id: str) -> str:
    """The message shown under the field `field_id` (empty when none)."""
    html = text_of(page)
    marker = f'id="{field_id}-error">'
    if marker not in html:
        return ""
    start = html.index(marker) + len(marker)
    return html[start : html.index("</p>", start)].replace(
        '<span class="visually-hidden">Error: </span>', ""
    )


def test_profile_page_shows_the_saved_profile_and_when_it_counts(client, attorney_user):
    page = client.get("/attorney/profile")
    html = text_of(page)
    assert page.status_code == 200
    assert "Changes take effect at the next nightly match" in html
    assert "English:native; Spanish:fluent" in html
    assert re.search(
        r'<input checked id="courts-\d+" name="courts" type="checkbox" value="HOU">', html
    )
    assert not re.search(
        r'<input checked id="courts-\d+" name="courts" type="checkbox" value="DAL">', html
    )
    assert '<label class="label" for="capacity">' in html
    assert re.search(r'<input [^>]*id="capacity"[^>]*value="2">', html)
    assert '<option selected value="experienced">' in html


def test_saving_a_good_profile(client, attorney_user, session):
    response = post_from(client, "/attorney/profile", "/attorney/profile", GOOD)
    assert response.status_code == 302
    page = client.get("/attorney/profile")
    assert "Profile saved. The changes take effect at the next nightly match." in flash_messages(
        page
    )
    session.expire_all()
    attorney = session.get_one(Attorney, attorney_user.attorney_id)
    assert attorney.capacity == 4 and attorney.takes_detained and attorney.remote_ok
    assert sorted(c.court.code for c in attorney.courts) == ["DAL", "HOU"]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attorney_profile_updated")
    ).one()
    assert event.user_id == attorney_user.id
    assert "capacity" in event.details["fields"] and "Mam" not in str(event.details)
    # Saving the page as shown changes nothing.
    again = post_from(client, "/attorney/profile", "/attorney/profile", GOOD)
    assert "Nothing changed" in " ".join(flash_messages(client.get(again.location)))


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("languages", "Spansh:fluent", "did you mean 'Spanish'?"),
        ("languages", "Klingon:fluent", "unknown language 'Klingon'"),
        ("languages", "Spanish", "write each item as name:level"),
        ("languages", "Spanish:fluent\x00", "NUL character"),
        ("languages", "x" * 5000, "Too long"),
        ("courts", ["ZZZ"], "unknown court code 'ZZZ'"),
        ("states_admitted", "Texas", "two-letter postal code"),
        ("home_latitude", "91", "between -90 and 90"),
        ("home_longitude", "", "Give the longitude too"),
        ("travel_radius_km", "1001", "between 0 and 1000 km"),
        ("travel_radius_km", "ten", "Not a whole number"),
        ("expertise_asylum", "guru", "Unknown expertise level 'guru'"),
        ("capacity", "51", "between 0 and 50 cases"),
        ("capacity", "-2", "0 or more"),
        ("capacity", "", "A value is required"),
        ("capacity", "9" * 100, "Too long"),
    ],
)
def test_each_bad_value_is_refused_on_its_field(client, attorney_user, session, field, value, says):
    response = post_from(client, "/attorney/profile", "/attorney/profile", {**GOOD, field: value})
    assert response.status_code == 400
    assert says in _error_of(response, field)
    assert 'aria-invalid="true"' in text_of(response) or field == "courts"
    assert "There is a problem" in text_of(response)
    session.expire_all()
    assert session.get_one(Attorney, attorney_user.attorney_id).capacity == 2  # nothing saved


def test_profile_needs_csrf(client, attorney_user, session):
    response = client.post("/attorney/profile", data=GOOD)
    assert response.status_code == 400
    assert "The form could not be sent" in text_of(response)
    session.expire_all()
    assert session.get_one(Attorney, attorney_user.attorney_id).capacity == 2


def test_an_account_without_a_profile_gets_404(client, signed_in):
    signed_in(Role.ATTORNEY)
    assert client.get("/attorney/profile").status_code == 404
    assert client.get("/attorney/leave").status_code == 404


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PROGRAM_LEAD, Role.ADMIN])
def test_other_roles_cannot_use_the_attorney_pages(client, signed_in, role):
    signed_in(role)
    assert client.get("/attorney/profile").status_code == 403
    assert client.get("/attorney/leave").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("/attorney/profile", "/attorney/leave", "/attorneys/1/profile", "/volunteers"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


# --- leave ------------------------------------------------------------------------------------


def _leave_ids(session, attorney_id):
    session.expire_all()
    return session.scalars(
        select(LeavePeriod.id).where(LeavePeriod.attorney_id == attorney_id)
    ).all()


def test_leave_add_change_remove(client, attorney_user, session):
    added = post_from(
        client,
        "/attorney/leave",
        "/attorney/leave",
        {"start_date": days(10).isoformat(), "end_date": days(20).isoformat()},
    )
    assert added.status_code == 302
    page = client.get("/attorney/leave")
    assert days(10).isoformat() in text_of(page)
    [leave_id] = _leave_ids(session, attorney_user.attorney_id)
    changed = post_from(
        client,
        f"/attorney/leave/{leave_id}/edit",
        f"/attorney/leave/{leave_id}/edit",
        {"start_date": days(11).isoformat(), "end_date": days(12).isoformat()},
    )
    assert changed.status_code == 302
    session.expire_all()
    assert session.get_one(LeavePeriod, leave_id).end_date == days(12)
    removed = post_from(client, "/attorney/leave", f"/attorney/leave/{leave_id}/remove")
    assert removed.status_code == 302
    assert _leave_ids(session, attorney_user.attorney_id) == []
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "leave_period")
    ).all()
    assert sorted(actions) == ["leave_added", "leave_changed", "leave_removed"]


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        (days(20).isoformat(), days(10).isoformat(), "end_date", "must end on or after"),
        (days(15).isoformat(), days(25).isoformat(), "start_date", "Overlaps your leave from"),
        ("2026-02-30", days(1).isoformat(), "start_date", "Not a valid date"),
        ("", days(1).isoformat(), "start_date", "Enter the first day"),
        (days(1).isoformat(), "9999-12-31", "end_date", "Must be between"),
        ("1900-01-01", days(1).isoformat(), "start_date", "Must be between"),
        ("2026-01-01\x00", days(1).isoformat(), "start_date", "Not a valid date"),
    ],
)
def test_bad_leave_is_refused_on_its_field(
    client, factories, make_user, auth, start, end, field, says
):
    user = make_user(Role.ATTORNEY, attorney=f.AttorneyFactory(leave=((days(10), days(20)),)))
    auth.login(user.email)
    response = post_from(
        client, "/attorney/leave", "/attorney/leave", {"start_date": start, "end_date": end}
    )
    assert response.status_code == 400
    assert says in _error_of(response, field)
    assert len(_leave_ids(factories, user.attorney_id)) == 1


def test_another_attorneys_leave_is_404(client, attorney_user, factories):
    other = f.AttorneyFactory(leave=((days(10), days(20)),))
    factories.commit()
    [leave_id] = _leave_ids(factories, other.id)
    assert client.get(f"/attorney/leave/{leave_id}/edit").status_code == 404
    token = csrf_token(client.get("/attorney/leave"))
    data = {"csrf_token": token, "start_date": "2030-01-01", "end_date": "2030-01-02"}
    assert client.post(f"/attorney/leave/{leave_id}/edit", data=data).status_code == 404
    assert client.post(f"/attorney/leave/{leave_id}/remove", data=data).status_code == 404
    assert client.post("/attorney/leave/99999999999999999999/remove", data=data).status_code == 404
    assert _leave_ids(factories, other.id) == [leave_id]


def test_leave_remove_needs_csrf(client, attorney_user, factories):
    with factories.begin():
        factories.add(
            LeavePeriod(attorney_id=attorney_user.attorney_id, start_date=days(3), end_date=days(4))
        )
    [leave_id] = _leave_ids(factories, attorney_user.attorney_id)
    assert client.post(f"/attorney/leave/{leave_id}/remove").status_code == 400
    assert _leave_ids(factories, attorney_user.attorney_id) == [leave_id]


# --- a coordinator on the attorney's behalf --------------------------------------------------


def test_coordinator_edits_a_profile_on_the_attorneys_behalf(client, signed_in, factories):
    attorney = f.AttorneyFactory(capacity=1)
    factories.commit()
    coordinator = signed_in(Role.COORDINATOR)
    path = f"/attorneys/{attorney.id}/profile"
    page = client.get(path)
    assert page.status_code == 200 and attorney.name in text_of(page)
    bad = post_from(client, path, path, {**GOOD, "capacity": "500"})
    assert bad.status_code == 400 and "between 0 and 50" in _error_of(bad, "capacity")
    good = post_from(client, path, path, GOOD)
    assert good.status_code == 302
    factories.expire_all()
    assert factories.get_one(Attorney, attorney.id).capacity == 4
    event = factories.scalars(
        select(AuditEvent).where(AuditEvent.action == "attorney_profile_updated")
    ).one()
    assert (event.user_id, event.entity_id) == (coordinator.id, str(attorney.id))


def test_coordinator_edit_of_no_such_attorney_is_404(client, signed_in):
    signed_in(Role.COORDINATOR)
    assert client.get("/attorneys/4242/profile").status_code == 404
    assert client.get("/attorneys/99999999999999999999/profile").status_code == 404


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN])
def test_only_coordinators_edit_on_an_attorneys_behalf(client, signed_in, factories, role):
    attorney = f.AttorneyFactory()
    factories.commit()
    signed_in(role)
    assert client.get(f"/attorneys/{attorney.id}/profile").status_code == 403
    token = csrf_token(client.get("/account"))
    posted = client.post(f"/attorneys/{attorney.id}/profile", data={**GOOD, "csrf_token": token})
    assert posted.status_code == 403


# --- capacity 0 in a real run ---------------------------------------------------------------


def test_capacity_zero_gets_no_proposal_in_the_next_run(client, attorney_user, db, factories):
    f.ChildFactory()
    factories.commit()
    zero = post_from(client, "/attorney/profile", "/attorney/profile", {**GOOD, "capacity": "0"})
    assert zero.status_code == 302
    run_match(db, as_of=date.today(), trigger="command")
    assert factories.scalars(select(Match)).all() == []
    # The same attorney with room is proposed: the zero, not the rest of the profile, held it back.
    post_from(client, "/attorney/profile", "/attorney/profile", GOOD)
    run_match(db, as_of=date.today(), trigger="command")
    factories.expire_all()
    assert [m.attorney_id for m in factories.scalars(select(Match))] == [attorney_user.attorney_id]
