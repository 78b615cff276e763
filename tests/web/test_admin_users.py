"""The accounts pages (/admin/users), through the test client with CSRF on, on both backends:
the list, invitations, roles, attorney profiles, deactivation (a live session ends at once),
the last admin, unlocking an address, and what other roles and odd input get."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fixtures import factories as f
from models import accounts
from models.entities import AuditEvent, OutboxMessage, Role, User

from .conftest import PASSWORD, csrf_token, flash_messages, flashes, post_from, text_of
from .test_accounts import NEW_PASSWORD, link_token, set_new_password

LIST = "/admin/users"
BEYOND = ["2147483648", "9223372036854775808", "99999999999999999999"]


def account(db, email: str) -> User:
    with db.session() as session:
        return session.scalars(select(User).where(User.email == email)).one()


def audited(db, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def outbox(db) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def invite(client, email="new@example.org", role="coordinator", attorney="", **kwargs):
    data = {"invite-email": email, "invite-role": role, "invite-attorney": attorney}
    return post_from(client, LIST, f"{LIST}/invite", data, **kwargs)


def sign_in(client, email: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )


def field_error(html: str, field_id: str, message: str) -> bool:
    """`message` shown on the field, and the field pointing at it."""
    return (
        f'id="{field_id}-error"' in html
        and message in html
        and re.search(f'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-error"', html)
        is not None
    ) or (
        f'id="{field_id}-error"' in html
        and message in html
        and re.search(f'aria-describedby="[^"]*{field_id}-error"[^>]*id="{field_id}"', html)
        is not None
    )


@pytest.fixture
def admin(signed_in):
    return signed_in(Role.ADMIN)


# --- who may come in -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PROGRAM_LEAD, Role.ATTORNEY])
def test_other_roles_get_403_on_every_accounts_page_and_action(client, signed_in, role):
    me = signed_in(role)
    token = csrf_token(client.get("/account"))
    paths = [("GET", LIST), ("GET", f"{LIST}/{me.id}"), ("POST", f"{LIST}/invite")]
    paths += [("POST", f"{LIST}/unlock")]
    for action in ("role", "attorney", "deactivate", "reactivate", "unlock", "invite"):
        paths.append(("POST", f"{LIST}/{me.id}/{action}"))
    for method, path in paths:
        response = client.open(path, method=method, data={"csrf_token": token, "role": "admin"})
        assert response.status_code == 403, (method, path)
    with client.application.test_client() as fresh:
        assert fresh.get(LIST).headers["Location"].startswith("/login")
    assert account(client.application.extensions["counselmatch_db"], me.email).role == role


def test_the_admin_home_and_navigation_link_to_the_accounts(client, admin):
    html = text_of(client.get("/"))
    assert 'href="/admin/users"' in html and "Manage the accounts" in html
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert ">Accounts</a>" in nav


@pytest.mark.parametrize("number", BEYOND)
def test_ids_no_table_can_hold_are_404(client, admin, number):
    token = csrf_token(client.get(LIST))
    assert client.get(f"{LIST}/{number}").status_code == 404
    for action in ("role", "attorney", "deactivate", "reactivate", "unlock", "invite"):
        response = client.post(
            f"{LIST}/{number}/{action}", data={"csrf_token": token, "role": "coordinator"}
        )
        assert response.status_code == 404, action


def test_an_unknown_account_is_404(client, admin):
    token = csrf_token(client.get(LIST))
    assert client.get(f"{LIST}/{admin.id + 1000}").status_code == 404
    for action in ("role", "attorney", "deactivate", "reactivate", "unlock", "invite"):
        data = {"csrf_token": token, "role": "coordinator", "attorney": "A-1"}
        assert client.post(f"{LIST}/{admin.id + 1000}/{action}", data=data).status_code == 404


def test_posts_without_the_csrf_token_are_refused(client, admin, make_user, db):
    other = make_user(Role.COORDINATOR)
    for path in (f"{LIST}/{other.id}/deactivate", f"{LIST}/invite", f"{LIST}/{other.id}/role"):
        response = client.post(path, data={"role": "admin", "invite-email": "x@example.org"})
        assert response.status_code == 400
    assert account(db, other.email).active and account(db, other.email).role == Role.COORDINATOR


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_role_status_last_sign_in_and_profile(client, admin, factories):
    attorney = f.AttorneyFactory(external_id="A-00042")
    f.UserFactory(email="att@example.org", role=Role.ATTORNEY, attorney=attorney)
    f.UserFactory(email="invited@example.org", password_hash=accounts.UNUSABLE_PASSWORD)
    f.UserFactory(email="off@example.org", role=Role.PROGRAM_LEAD, active=False)
    factories.commit()
    html = text_of(client.get(LIST))
    rows = {
        email: row
        for email, row in re.findall(
            r'<tr data-user="\d+">\s*<th scope="row"><a[^>]*>([^<]+)</a>(.*?)</tr>', html, re.S
        )
    }
    assert list(rows) == [
        "admin@example.org",
        "att@example.org",
        "invited@example.org",
        "off@example.org",
    ]
    assert (
        'data-status="active"' in rows["att@example.org"] and "A-00042" in rows["att@example.org"]
    )
    assert "Invited, no password yet" in rows["invited@example.org"]
    assert "Invite again" in rows["invited@example.org"]
    assert "Deactivated" in rows["off@example.org"] and "Reactivate" in rows["off@example.org"]
    assert "never" in rows["off@example.org"]  # never signed in
    assert re.search(
        r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d</time>", rows["admin@example.org"]
    )


def test_filters_narrow_the_list_and_bad_ones_are_reported(client, admin, factories):
    f.UserFactory(email="lead@example.org", role=Role.PROGRAM_LEAD)
    f.UserFactory(email="off@example.org", active=False)
    factories.commit()

    def shown(query):
        return re.findall(
            r'<tr data-user="\d+">\s*<th scope="row"><a[^>]*>([^<]+)<',
            text_of(client.get(LIST, query_string=query)),
        )

    assert shown({"role": "program_lead"}) == ["lead@example.org"]
    assert shown({"status": "deactivated"}) == ["off@example.org"]
    assert shown({"q": "LEAD"}) == ["lead@example.org"]
    assert shown({"q": "%"}) == []  # taken literally
    nobody = text_of(client.get(LIST, query_string={"q": "nobody"}))
    assert 'data-empty="accounts"' in nobody and "Clear the filters" in nobody
    odd = client.get(
        LIST, query_string={"role": "judge", "q": "a\x00b", "page": "99999999999999999999"}
    )
    assert odd.status_code == 200
    html = text_of(odd)
    assert "Some filters could not be used" in html and "Remove the invisible NUL" in html


def test_the_list_is_paginated(client, app, admin, factories):
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        f.UserFactory(email=f"user{n}@example.org", password_hash=accounts.UNUSABLE_PASSWORD)
    factories.commit()
    first = text_of(client.get(LIST))
    assert "Showing 1–2 of 4 accounts (page 1 of 2)" in first and 'rel="next"' in first
    second = text_of(client.get(LIST, query_string={"page": "2"}))
    assert "Showing 3–4 of 4 accounts" in second and "user2@example.org" in second


# --- invitations -----------------------------------------------------------------------------


def test_invite_a_coordinator_who_then_chooses_a_password_and_signs_in(client, app, admin, db):
    response = invite(client, " New.Person@Example.org ", follow_redirects=True)
    assert response.status_code == 200 and response.request.path.startswith(f"{LIST}/")
    assert (
        "Invitation sent to new.person@example.org; the link works for 72 hours."
        in flash_messages(response)
    )
    user = account(db, "new.person@example.org")
    assert user.role == Role.COORDINATOR and not accounts.has_usable_password(user)
    [message] = outbox(db)
    assert (message.to_address, message.kind) == ("new.person@example.org", "invite")
    [event] = audited(db, "invite_user")
    assert event.actor == admin.email and event.entity_id == str(user.id)

    invitee = app.test_client()
    # The rule holds on the link's page too.
    refused = set_new_password(invitee, link_token(message), "iloveyou1234")
    assert "most common passwords" in text_of(refused)
    assert set_new_password(invitee, link_token(message), NEW_PASSWORD).status_code == 302
    assert sign_in(invitee, "new.person@example.org", NEW_PASSWORD).status_code == 302
    assert invitee.get("/").status_code == 200


def test_invite_an_attorney_linked_to_a_profile(client, admin, factories, db):
    attorney = f.AttorneyFactory(external_id="A-00077")
    factories.commit()
    response = invite(client, "ana@firm.example", "attorney", " A-00077 ", follow_redirects=True)
    assert account(db, "ana@firm.example").attorney_id == attorney.id
    assert "A-00077" in text_of(response)
    unlinked = invite(client, "bo@firm.example", "attorney", follow_redirects=True)
    assert any("linked to no attorney profile yet" in m for m in flash_messages(unlinked))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "taken@example.org"}, "invite-email", "already has an account"),
        ({"email": "Taken@Example.org"}, "invite-email", "already has an account"),
        ({"email": "not-an-address"}, "invite-email", "is not an email address"),
        ({"email": ""}, "invite-email", "Enter an email address."),
        ({"email": "a\x00@example.org"}, "invite-email", "Remove the invisible NUL character"),
        ({"email": "a@" + "x" * 260 + ".org"}, "invite-email", "at most 254 characters"),
        ({"role": "judge"}, "invite-role", "Choose one of the roles listed."),
        ({"role": ""}, "invite-role", "Choose one of the roles listed."),
        ({"role": "coordinator", "attorney": "A-1"}, "invite-attorney", "Only an attorney account"),
        (
            {"role": "attorney", "attorney": "99999999999999999999"},
            "invite-attorney",
            "No attorney profile has",
        ),
        ({"role": "attorney", "attorney": "A\x001"}, "invite-attorney", "Remove the invisible NUL"),
        ({"role": "attorney", "attorney": "A" * 65}, "invite-attorney", "at most 64 characters"),
    ],
)
def test_invite_refuses_bad_input_on_its_field(
    client, admin, make_user, factories, db, data, field, message
):
    f.AttorneyFactory(external_id="A-1")
    factories.commit()
    make_user(Role.COORDINATOR, "taken@example.org")
    data = {"email": "new@example.org", "role": "coordinator", **data}
    response = invite(client, **data)
    html = text_of(response)
    assert response.status_code == 200
    assert field_error(html, field, message), html
    with db.session() as session:
        assert len(session.scalars(select(User)).all()) == 2
    assert outbox(db) == [] and audited(db, "invite_user") == []
    # The rows' buttons of the page answering the form come back to the list, not to the POST.
    assert 'name="next" value="/admin/users"' in html and 'value="/admin/users/invite"' not in html


def test_invite_again_sends_a_new_link_and_voids_the_old(client, app, admin, db):
    invite(client, "new@example.org")
    user = account(db, "new@example.org")
    response = post_from(
        client, LIST, f"{LIST}/{user.id}/invite", {"next": LIST}, follow_redirects=True
    )
    assert (
        "A new invitation is sent to new@example.org; earlier links no longer work."
        in flash_messages(response)
    )
    first, second = outbox(db)
    assert app.test_client().get(f"/reset/{link_token(first)}").status_code == 400
    assert app.test_client().get(f"/reset/{link_token(second)}").status_code == 200
    again = post_from(
        client, LIST, f"{LIST}/{admin.id}/invite", {"next": LIST}, follow_redirects=True
    )
    assert (
        "error",
        f"{admin.email} has already chosen a password; if it is forgotten, they can use "
        "'Forgotten your password?' on the sign-in page.",
    ) in flashes(again)


# --- role and attorney profile ---------------------------------------------------------------


def change_role(client, user_id: int, role: str, **kwargs):
    return post_from(
        client, f"{LIST}/{user_id}", f"{LIST}/{user_id}/role", {"role": role}, **kwargs
    )


def test_change_role_takes_effect_at_the_next_request(client, app, admin, make_user, db):
    other = make_user(Role.COORDINATOR)
    theirs = app.test_client()
    sign_in(theirs, other.email)
    assert theirs.get("/review").status_code == 200
    response = change_role(client, other.id, "program_lead", follow_redirects=True)
    assert f"{other.email} now has the role Program lead." in flash_messages(response)
    assert theirs.get("/review").status_code == 403
    assert [e.details for e in audited(db, "change_role")] == [
        {"before": "coordinator", "after": "program_lead"}
    ]


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("judge", "Choose one of the roles listed."),
        ("", "Choose one of the roles listed."),
        ("coordinator", "is already a coordinator"),
    ],
)
def test_change_role_refuses_on_the_field(client, admin, make_user, db, role, message):
    other = make_user(Role.COORDINATOR)
    html = text_of(change_role(client, other.id, role))
    assert field_error(html, "role", message)
    assert account(db, other.email).role == Role.COORDINATOR


def test_the_last_admin_cannot_demote_or_deactivate_themselves(client, admin, db):
    refused = change_role(client, admin.id, "coordinator")
    assert (
        "Cannot make admin@example.org a coordinator: you are the last active administrator"
        in text_of(refused)
    )
    response = post_from(
        client, LIST, f"{LIST}/{admin.id}/deactivate", {"next": LIST}, follow_redirects=True
    )
    assert any("you are the last active administrator" in m for m in flash_messages(response))
    me = account(db, admin.email)
    assert me.active and me.role == Role.ADMIN
    assert client.get(LIST).status_code == 200


def test_with_a_second_admin_one_may_step_down(client, admin, make_user, db):
    make_user(Role.ADMIN, "second@example.org")
    response = change_role(client, admin.id, "coordinator", follow_redirects=True)
    assert "admin@example.org now has the role Coordinator." in flash_messages(response)
    assert client.get(LIST).status_code == 403  # at once


def link(client, user_id: int, external_id: str, **kwargs):
    return post_from(
        client,
        f"{LIST}/{user_id}",
        f"{LIST}/{user_id}/attorney",
        {"attorney": external_id},
        **kwargs,
    )


def test_link_an_attorney_account_to_a_profile_and_unlink_it(
    client, admin, make_user, factories, db
):
    attorney = f.AttorneyFactory(external_id="A-00009", name="Ana Counsel")
    factories.commit()
    user = make_user(Role.ATTORNEY, "att@example.org")
    response = link(client, user.id, "A-00009", follow_redirects=True)
    assert (
        "The account is linked to the attorney profile of Ana Counsel (A-00009)."
        in flash_messages(response)
    )
    assert account(db, user.email).attorney_id == attorney.id
    response = link(client, user.id, "", follow_redirects=True)
    assert "The account is linked to no attorney profile now." in flash_messages(response)
    assert account(db, user.email).attorney_id is None


@pytest.mark.parametrize(
    ("external_id", "message"),
    [
        ("2147483648", "No attorney profile has the external id '2147483648'"),
        ("9223372036854775808", "No attorney profile has the external id"),
        ("A\x00", "Remove the invisible NUL character"),
        ("A-TAKEN", "already belongs to the account other@example.org"),
        ("x" * 65, "at most 64 characters"),
    ],
)
def test_link_refuses_on_the_field(client, admin, make_user, factories, db, external_id, message):
    taken = f.AttorneyFactory(external_id="A-TAKEN")
    factories.commit()
    make_user(Role.ATTORNEY, "other@example.org", attorney=taken)
    user = make_user(Role.ATTORNEY, "att@example.org")
    response = link(client, user.id, external_id)
    assert response.status_code == 200
    assert field_error(text_of(response), "attorney", message)
    assert account(db, user.email).attorney_id is None


def test_only_attorney_accounts_are_linked(client, admin, make_user, factories, db):
    f.AttorneyFactory(external_id="A-1")
    factories.commit()
    coordinator = make_user(Role.COORDINATOR)
    assert "Attorney profile" not in text_of(client.get(f"{LIST}/{coordinator.id}"))
    response = link(client, coordinator.id, "A-1")
    assert "only attorney accounts are linked" in text_of(response)


# --- deactivate, reactivate ------------------------------------------------------------------


def test_deactivation_ends_a_live_session_at_once_and_reactivation_lets_them_back(
    client, app, admin, make_user, db
):
    other = make_user(Role.COORDINATOR)
    theirs = app.test_client()
    assert sign_in(theirs, other.email).status_code == 302
    assert theirs.get("/review").status_code == 200

    response = post_from(
        client, LIST, f"{LIST}/{other.id}/deactivate", {"next": LIST}, follow_redirects=True
    )
    assert response.request.path == LIST
    assert (
        f"{other.email} is deactivated; 1 open session ended. Its history stays."
        in flash_messages(response)
    )
    refused = theirs.get("/review")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert sign_in(theirs, other.email).status_code == 200  # cannot sign in again
    assert [e.details for e in audited(db, "deactivate_user")] == [{"sessions_ended": 1}]
    assert audited(db, "sign_in")  # the history stays
    page = text_of(client.get(f"{LIST}/{other.id}"))
    assert 'data-action="deactivate_user"' in page and 'data-action="sign_in"' in page

    response = post_from(
        client,
        LIST,
        f"{LIST}/{other.id}/reactivate",
        {"next": "https://evil.example/"},
        follow_redirects=True,
    )
    assert response.request.path == f"{LIST}/{other.id}"  # an off-site `next` is not followed
    assert f"{other.email} is active again and can sign in with its password." in flash_messages(
        response
    )
    assert sign_in(theirs, other.email).status_code == 302
    again = post_from(
        client, LIST, f"{LIST}/{other.id}/reactivate", {"next": LIST}, follow_redirects=True
    )
    assert ("error", f"The account {other.email} is already active.") in flashes(again)


def test_an_admin_may_deactivate_themselves_when_another_admin_remains(
    client, admin, make_user, db
):
    make_user(Role.ADMIN, "second@example.org")
    response = post_from(client, LIST, f"{LIST}/{admin.id}/deactivate", {"next": LIST})
    assert response.status_code == 302
    assert client.get(LIST).headers["Location"].startswith("/login")
    assert not account(db, admin.email).active


# --- unlocking -------------------------------------------------------------------------------


def lock_out(app, email: str) -> None:
    stranger = app.test_client()
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        sign_in(stranger, email, "not the password")
    assert sign_in(stranger, email).status_code == 429


def test_unlock_a_typed_address_lets_it_sign_in_at_once(client, app, admin, make_user, db):
    other = make_user(Role.COORDINATOR)
    lock_out(app, other.email)
    row = text_of(client.get(LIST))
    assert "Locked: 5 failed sign-ins" in row
    response = post_from(
        client,
        LIST,
        f"{LIST}/unlock",
        {"unlock-email": " Coordinator@Example.org "},
        follow_redirects=True,
    )
    assert (
        "coordinator@example.org is unlocked: its 5 failed sign-ins no longer count, and it can "
        "sign in again now." in flash_messages(response)
    )
    assert sign_in(app.test_client(), other.email).status_code == 302
    [event] = audited(db, "sign_in_unlocked")
    assert event.entity_id == accounts.account_key(other.email) and event.actor == admin.email
    assert "coordinator@example.org" not in str(event.details)


def test_unlock_from_the_row(client, app, admin, make_user):
    other = make_user(Role.PROGRAM_LEAD)
    lock_out(app, other.email)
    response = post_from(
        client, LIST, f"{LIST}/{other.id}/unlock", {"next": LIST}, follow_redirects=True
    )
    assert any("is unlocked" in m for m in flash_messages(response))
    assert "Locked:" not in text_of(response)
    assert sign_in(app.test_client(), other.email).status_code == 302
    again = post_from(
        client, LIST, f"{LIST}/{other.id}/unlock", {"next": LIST}, follow_redirects=True
    )
    assert any("is not locked" in m for _, m in flashes(again))


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.org", "No failed sign-in counts against nobody@example.org now"),
        ("", "Enter an email address."),
        ("a\x00@example.org", "Remove the invisible NUL character"),
        ("a@" + "x" * 260 + ".org", "at most 254 characters"),
    ],
)
def test_unlock_refuses_on_its_field(client, admin, db, email, message):
    response = post_from(client, LIST, f"{LIST}/unlock", {"unlock-email": email})
    assert response.status_code == 200
    assert field_error(text_of(response), "unlock-email", message)
    assert audited(db, "sign_in_unlocked") == []
