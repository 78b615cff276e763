"""Signing in and out through the real forms, CSRF on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.accounts import FAILED_SIGN_IN_WINDOW, MAX_FAILED_SIGN_INS, account_key
from models.base import utcnow
from models.entities import AuditEvent, Role, User
from web.auth.routes import BAD_CREDENTIALS, TOO_MANY_ATTEMPTS
from web.security import is_safe_next

from .conftest import PASSWORD, csrf_token


def audit_actions(db) -> list[tuple[str, str, str | None]]:
    with db.session() as session:
        return [
            (event.actor, event.action, event.entity_id)
            for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_login_page_has_the_form(client):
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<input autocomplete="username" class="input" id="email"' in html
    assert 'name="password"' in html and 'type="password"' in html
    assert '<label class="label" for="email">' in html
    assert '<label class="label" for="password">' in html
    assert csrf_token(page)
    assert html.count("<h1>") == 1


def test_sign_in_and_out(client, auth, make_user, db):
    user = make_user(Role.COORDINATOR, "Coord@Example.org")
    before = utcnow()

    response = auth.login("  coord@example.ORG ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Coord@Example.org" in home.get_data(as_text=True)
    assert "Coordinator" in home.get_data(as_text=True)

    with db.session() as session:
        last_login = session.get(User, user.id).last_login_at
    assert last_login is not None and before <= last_login <= utcnow() + timedelta(seconds=1)

    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You have signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/").headers["Location"] == "/login?next=%2F"
    assert audit_actions(db) == [
        ("Coord@Example.org", "sign_in", str(user.id)),
        ("Coord@Example.org", "sign_out", str(user.id)),
    ]


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("coordinator@example.org", "wrong password", True),
        ("nobody@example.org", PASSWORD, True),
        ("coordinator@example.org", PASSWORD, False),  # switched-off account
    ],
    ids=["wrong-password", "unknown-email", "inactive"],
)
def test_failed_sign_in_gives_one_generic_message(
    client, auth, make_user, db, email, password, active
):
    make_user(Role.COORDINATOR, active=active)
    response = auth.login(email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert BAD_CREDENTIALS in html
    assert 'role="alert"' in html
    assert client.get("/").status_code == 302
    [(actor, action, entity_id)] = audit_actions(db)
    assert (actor, action, entity_id) == ("anonymous", "sign_in_failed", account_key(email))
    assert email.split("@")[0] not in entity_id  # a hash, never the typed address
    with db.session() as session:
        assert session.scalar(select(User.last_login_at)) is None


def test_empty_fields_are_reported_next_to_the_fields(auth):
    response = auth.login("", "")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-describedby="email-error"' in html and 'id="email-error"' in html
    assert 'aria-describedby="password-error"' in html and 'id="password-error"' in html
    assert 'aria-invalid="true"' in html
    assert "Enter your email address." in html and "Enter your password." in html
    assert '<a href="#email">' in html


def test_sign_in_without_csrf_token_is_refused(client, make_user):
    make_user(Role.COORDINATOR)
    response = client.post(
        "/login", data={"email": "coordinator@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "The form could not be sent" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_with_a_forged_csrf_token_is_refused(client, make_user):
    make_user(Role.COORDINATOR)
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": "coordinator@example.org", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400


def test_next_on_this_site_is_followed(auth, make_user):
    make_user(Role.COORDINATOR)
    response = auth.login("coordinator@example.org", next_path="/?tab=capacity")
    assert response.headers["Location"] == "/?tab=capacity"


def test_anonymous_visit_comes_back_after_sign_in(client, make_user):
    make_user(Role.COORDINATOR)
    redirect = client.get("/", query_string={"view": "all"})
    assert redirect.status_code == 302
    login_url = redirect.headers["Location"]
    assert login_url == "/login?next=%2F%3Fview%3Dall"
    page = client.get(login_url)
    assert "Please sign in to see that page." in page.get_data(as_text=True)
    response = client.post(
        login_url,
        data={
            "email": "coordinator@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/?view=all"


OFF_SITE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_next_is_refused(auth, make_user, target):
    make_user(Role.COORDINATOR)
    response = auth.login("coordinator@example.org", next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_is_safe_next_refuses_what_leaves_the_site(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/review", "/review?page=2", "/children/unmatched#x"])
def test_is_safe_next_accepts_paths_on_this_site(target):
    assert is_safe_next(target)


def test_login_page_when_signed_in_goes_home(client, signed_in):
    signed_in(Role.ATTORNEY)
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_logout_by_get_is_not_allowed(client, signed_in):
    signed_in(Role.COORDINATOR)
    response = client.get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert client.get("/").status_code == 200  # still signed in


def test_logout_without_csrf_token_is_refused(client, signed_in):
    signed_in(Role.COORDINATOR)
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_logout_when_signed_out_goes_to_sign_in(client):
    page = client.get("/login")
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_account_switched_off_is_signed_out_on_the_next_request(client, signed_in, db):
    user = signed_in(Role.COORDINATOR)
    assert client.get("/").status_code == 200
    with db.session() as session, session.begin():
        session.get(User, user.id).active = False
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_session_from_another_browser_is_dropped(client, signed_in):
    signed_in(Role.COORDINATOR)
    assert client.get("/").status_code == 200
    # "strong" session protection: the same cookie from another user agent is not signed in.
    response = client.get("/", headers={"User-Agent": "another browser"})
    assert response.status_code == 302


def test_repeated_failures_throttle_the_address_then_it_recovers(client, auth, make_user, db):
    make_user(Role.COORDINATOR)
    for _ in range(MAX_FAILED_SIGN_INS):
        assert BAD_CREDENTIALS in auth.login("coordinator@example.org", "wrong").get_data(True)

    refused = auth.login("Coordinator@Example.org ", PASSWORD)  # the right password, too late

    assert refused.status_code == 429 and TOO_MANY_ATTEMPTS in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert auth.login("other@example.org", "wrong").status_code == 200  # other addresses unaffected
    with db.session() as session, session.begin():
        for event in session.scalars(select(AuditEvent)):
            event.at = event.at - FAILED_SIGN_IN_WINDOW - timedelta(minutes=1)
    auth.login("coordinator@example.org", PASSWORD)
    assert client.get("/").status_code == 200
