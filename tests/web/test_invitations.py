"""Inviting attorneys (coordinators and admins) and the admins' e-mail outbox page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixtures import factories as f
from models.entities import AuditEvent, OutboxMessage, Role, User, VolunteerStatus
from web import create_app

from .conftest import AuthActions, csrf_token, flash_messages, post_from
from .test_accounts import NEW_PASSWORD, link_token, set_new_password


def outbox(db) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def invite(client, attorney_id, **kwargs):
    action = f"/attorneys/{attorney_id}/invite"
    return post_from(client, "/account", action, {"next": "/"}, **kwargs)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_invite_one_attorney_then_they_choose_a_password(
    client, app, signed_in, factories, db, role
):
    signed_in(role)
    attorney = f.AttorneyFactory(email="Counsel@Firm.example", name="Ana Counsel")
    child = f.ChildFactory()
    factories.commit()

    response = invite(client, attorney.id, follow_redirects=True)
    assert "Invitation sent to counsel@firm.example" in " ".join(flash_messages(response))
    [message] = outbox(db)
    assert (message.kind, message.to_address) == ("invite", "counsel@firm.example")
    for secret in (child.first_name, child.last_name, child.a_number, str(child.birth_date)):
        assert secret not in message.body
    with db.session() as session:
        user = session.scalars(select(User).where(User.attorney_id == attorney.id)).one()
        assert user.role == Role.ATTORNEY and user.email == "counsel@firm.example"
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "invite_attorney"))
        assert event.entity_id == str(attorney.id) and event.details == {"user_id": user.id}

    # Not yet usable: no password signs in until the link is followed.
    stranger = app.test_client()
    assert "Choose your password" in stranger.get(f"/reset/{link_token(message)}").get_data(
        as_text=True
    )
    assert set_new_password(stranger, link_token(message), NEW_PASSWORD).status_code == 302
    page = stranger.get("/login")
    stranger.post(
        "/login",
        data={"email": user.email, "password": NEW_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert stranger.get("/").status_code == 200

    # Now an active account: a second invitation is refused with a clear message.
    again = invite(client, attorney.id, follow_redirects=True)
    assert "already has an active account" in " ".join(flash_messages(again))
    assert len(outbox(db)) == 1


def test_invite_refuses_inactive_and_pending_profiles(client, signed_in, factories, db):
    signed_in(Role.COORDINATOR)
    inactive = f.AttorneyFactory(active=False)
    pending = f.AttorneyFactory(active=False, volunteer_status=VolunteerStatus.PENDING)
    factories.commit()
    refused = invite(client, inactive.id, follow_redirects=True)
    assert "is inactive" in " ".join(flash_messages(refused))
    assert "waiting for approval" in " ".join(
        flash_messages(invite(client, pending.id, follow_redirects=True))
    )
    assert outbox(db) == []


@pytest.mark.parametrize("attorney_id", ["99999999999999999999", "2147483648", "123456"])
def test_invite_unknown_or_out_of_range_attorney_is_404(client, signed_in, attorney_id):
    signed_in(Role.COORDINATOR)
    assert invite(client, attorney_id).status_code == 404


def test_invite_everyone_without_an_account(client, signed_in, factories, db):
    signed_in(Role.ADMIN)
    first, second = f.AttorneyFactory(), f.AttorneyFactory()
    f.AttorneyFactory(active=False)
    f.UserFactory(as_attorney=True)  # already has an account
    factories.commit()
    response = post_from(client, "/account", "/attorneys/invite", follow_redirects=True)
    assert "Invitations sent to 2 attorneys without an account." in flash_messages(response)
    assert sorted(m.to_address for m in outbox(db)) == sorted([first.email, second.email])
    again = post_from(client, "/account", "/attorneys/invite", follow_redirects=True)
    assert "Invitations sent to 0 attorneys without an account." in flash_messages(again)


def test_a_coordinator_invites_everyone_from_the_attorneys_page(client, signed_in, factories, db):
    signed_in(Role.COORDINATOR)
    attorney = f.AttorneyFactory()
    factories.commit()
    page = client.get("/attorneys").get_data(as_text=True)
    assert 'action="/attorneys/invite"' in page
    response = post_from(
        client, "/attorneys", "/attorneys/invite", {"next": "/attorneys"}, follow_redirects=True
    )
    assert response.request.path == "/attorneys"
    assert "Invitations sent to 1 attorney without an account." in flash_messages(response)
    assert [m.to_address for m in outbox(db)] == [attorney.email]


def test_invite_without_csrf_token_is_refused(client, signed_in, factories, db):
    signed_in(Role.COORDINATOR)
    attorney = f.AttorneyFactory()
    factories.commit()
    assert client.post(f"/attorneys/{attorney.id}/invite").status_code == 400
    assert outbox(db) == []


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD])
@pytest.mark.parametrize("path", ["/attorneys/1/invite", "/attorneys/invite"])
def test_other_roles_may_not_invite(client, signed_in, role, path):
    signed_in(role)
    assert post_from(client, "/account", path).status_code == 403


@pytest.mark.parametrize("path", ["/attorneys/1/invite", "/attorneys/invite"])
def test_anonymous_may_not_invite(client, path):
    response = post_from(client, "/login", path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_admins_still_may_not_see_other_coordinator_pages(client, signed_in):
    signed_in(Role.ADMIN)
    assert client.get("/review").status_code == 403


# --- /admin/outbox ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ATTORNEY, Role.PROGRAM_LEAD])
def test_outbox_is_admin_only(client, signed_in, role):
    signed_in(role)
    assert client.get("/admin/outbox").status_code == 403


def test_outbox_anonymous_goes_to_sign_in(client):
    assert client.get("/admin/outbox").headers["Location"].startswith("/login")


def test_outbox_empty_state(client, signed_in):
    signed_in(Role.ADMIN)
    page = client.get("/admin/outbox")
    assert page.status_code == 200 and "No e-mail has been written yet." in page.get_data(True)


def test_outbox_lists_newest_first_without_bodies_outside_development(
    client, signed_in, factories, db
):
    signed_in(Role.ADMIN)
    f.AttorneyFactory(email="one@firm.example")
    factories.commit()
    post_from(client, "/account", "/attorneys/invite")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "one@firm.example" in page and "You are invited to Counsel Match" in page
    assert "/reset/" not in page  # bodies (one-time links) only in development


def test_outbox_shows_bodies_in_development(db, make_user, factories):
    app = create_app({"ENV_NAME": "development", "DATABASE_URL": db.url, "SECRET_KEY": "dev"})
    try:
        client = app.test_client()
        user = make_user(Role.ADMIN)
        f.AttorneyFactory()
        factories.commit()
        AuthActions(client).login(user.email)
        post_from(client, "/account", "/attorneys/invite")
        assert "/reset/" in client.get("/admin/outbox").get_data(as_text=True)
    finally:
        app.extensions["counselmatch_db"].dispose()


def test_outbox_pages(client, signed_in, factories, db, app):
    signed_in(Role.ADMIN)
    with db.session() as session, session.begin():
        for n in range(app.config["PAGE_SIZE"] + 1):
            session.add(
                OutboxMessage(kind="t", to_address=f"p{n}@x.example", subject=f"S{n}", body="b")
            )
    first = client.get("/admin/outbox").get_data(as_text=True)
    second = client.get("/admin/outbox?page=2").get_data(as_text=True)
    assert "Next page" in first and "p0@x.example" in second and "p0@x.example" not in first
