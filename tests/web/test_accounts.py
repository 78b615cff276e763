"""Server-side sessions, forgotten passwords, one-time links and /account, through the forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.base import utcnow
from models.entities import AuditEvent, OneTimeToken, OutboxMessage, Role, User, UserSession
from web.auth.routes import LINK_SENT

from .conftest import PASSWORD, csrf_token, flash_messages

NEW_PASSWORD = "a much longer new passphrase"
_LINK = re.compile(r"/reset/([A-Za-z0-9_\-]+)")


def outbox(db) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def link_token(message: OutboxMessage) -> str:
    found = _LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def actions(db) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def ask_for_reset(client, email: str):
    page = client.get("/forgot-password")
    return client.post("/forgot-password", data={"email": email, "csrf_token": csrf_token(page)})


def set_new_password(client, token: str, password: str, confirm: str | None = None):
    page = client.get(f"/reset/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(
        f"/reset/{token}",
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": csrf_token(page),
        },
    )


# --- sessions --------------------------------------------------------------------------------


def test_sign_in_stores_only_a_hash_of_the_session_secret(client, signed_in, db):
    user = signed_in(Role.COORDINATOR)
    with db.session() as session:
        [row] = session.scalars(select(UserSession))
    assert row.user_id == user.id and row.revoked_at is None and len(row.token_hash) == 64
    assert client.get_cookie("remember_token") is None  # no remember-me cookie to replay


def test_a_cookie_replayed_after_sign_out_is_refused(client, signed_in, auth, db):
    signed_in(Role.COORDINATOR)
    stolen = client.get_cookie("session").value
    assert auth.logout().status_code == 302
    client.set_cookie("session", stolen)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with db.session() as session:
        assert session.scalar(select(UserSession.revoked_at)) is not None


def test_a_forged_session_secret_is_refused(client, signed_in, app):
    signed_in(Role.COORDINATOR)
    assert client.get("/").status_code == 200
    with client.session_transaction() as cookie:
        session_id, _secret = cookie["_user_id"].split(".", 1)
        cookie["_user_id"] = f"{session_id}.not-the-secret"
    assert client.get("/").status_code == 302


def test_password_change_signs_out_other_sessions_only(app, make_user, db):
    user = make_user(Role.ATTORNEY)
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        page = browser.get("/login")
        browser.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert browser.get("/").status_code == 200
    page = here.get("/account")
    response = here.post(
        "/account",
        data={
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(page),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Your password is changed." in " ".join(flash_messages(response))
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert actions(db)[-1] == "password_changed"
    with db.session() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.details == {"sessions_ended": 1}
    # The new password signs in; the old one no longer does.
    fresh = app.test_client()
    page = fresh.get("/login")
    fresh.post(
        "/login",
        data={"email": user.email, "password": NEW_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert fresh.get("/").status_code == 200


@pytest.mark.parametrize(
    ("current", "password", "confirm", "field", "message"),
    [
        ("wrong password!", NEW_PASSWORD, NEW_PASSWORD, "current", "not your current password"),
        (PASSWORD, "short", "short", "password", "at least 12"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm", "The two passwords differ"),
        (PASSWORD, "x" * 1025, "x" * 1025, "password", "at most 1024"),
        ("", NEW_PASSWORD, NEW_PASSWORD, "current", "Enter your current password."),
        (PASSWORD, "Password1234", "Password1234", "password", "most common passwords"),
        (PASSWORD, "z" * 20, "z" * 20, "password", "one character repeated"),
        (PASSWORD, "nul\x00 in the password", "nul\x00 in the password", "password", "NUL"),
    ],
    ids=[
        "wrong-current",
        "too-short",
        "mismatch",
        "too-long",
        "no-current",
        "common",
        "repeated",
        "nul",
    ],
)
def test_account_refuses_bad_input_next_to_the_field(
    client, signed_in, db, current, password, confirm, field, message
):
    user = signed_in(Role.PROGRAM_LEAD)
    page = client.get("/account")
    response = client.post(
        "/account",
        data={
            "current": current,
            "password": password,
            "confirm": confirm,
            "csrf_token": csrf_token(page),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html and message in html
    assert re.search(f'aria-describedby="[^"]*{field}-error"', html)
    with db.session() as session:
        assert session.get(User, user.id).password_hash == user.password_hash


def test_account_needs_sign_in(client):
    assert client.get("/account").headers["Location"].startswith("/login")


# --- forgotten password ----------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_any_address(client, make_user, db):
    make_user(Role.COORDINATOR, "known@example.org")
    make_user(Role.COORDINATOR, "off@example.org", active=False)
    answers = [
        ask_for_reset(client, email)
        for email in ("Known@Example.org ", "nobody@example.org", "off@example.org")
    ]
    pages = {(answer.status_code, answer.get_data(as_text=True)) for answer in answers}
    assert len(pages) == 1
    [(status, html)] = pages
    assert status == 200 and LINK_SENT in html
    [message] = outbox(db)
    assert (message.to_address, message.kind) == ("known@example.org", "reset")
    assert "/reset/" in message.body
    with db.session() as session:
        [token] = session.scalars(select(OneTimeToken))
    assert token.token_hash != link_token(message)  # only the hash is kept
    assert token.expires_at - token.created_at == timedelta(hours=1)


def test_forgot_password_empty_address_is_reported(client):
    page = client.get("/forgot-password")
    response = client.post("/forgot-password", data={"email": "", "csrf_token": csrf_token(page)})
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_reset_with_a_good_link_sets_the_password_once(client, app, auth, make_user, db):
    user = make_user(Role.COORDINATOR, "known@example.org")
    signed_elsewhere = app.test_client()
    page = signed_elsewhere.get("/login")
    signed_elsewhere.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    ask_for_reset(client, user.email)
    token = link_token(outbox(db)[0])
    assert "Choose a new password" in client.get(f"/reset/{token}").get_data(as_text=True)

    response = set_new_password(client, token, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert signed_elsewhere.get("/").status_code == 302  # every session of the account ended
    assert auth.login(user.email, PASSWORD).status_code == 200  # old password refused
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302
    used = client.get(f"/reset/{token}")
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)
    assert "password_reset" in actions(db)
    with db.session() as session:
        details = [e.details for e in session.scalars(select(AuditEvent))]
    assert all(token not in str(d) and NEW_PASSWORD not in str(d) for d in details)


def test_reset_with_an_expired_link_is_refused(client, make_user, db):
    make_user(Role.COORDINATOR, "known@example.org")
    ask_for_reset(client, "known@example.org")
    token = link_token(outbox(db)[0])
    with db.session() as session, session.begin():
        session.scalars(select(OneTimeToken)).one().expires_at = utcnow() - timedelta(seconds=1)
    response = client.get(f"/reset/{token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_a_newer_reset_link_voids_the_older(client, make_user, db):
    make_user(Role.COORDINATOR, "known@example.org")
    ask_for_reset(client, "known@example.org")
    ask_for_reset(client, "known@example.org")
    first, second = (link_token(m) for m in outbox(db))
    assert client.get(f"/reset/{first}").status_code == 400
    assert client.get(f"/reset/{second}").status_code == 200


@pytest.mark.parametrize(
    "token",
    ["unknown", "x" * 5000, "%00", "caf%C3%A9", "a.b", "%ED%A0%80", "..", "-" * 43],
)
def test_unknown_or_odd_links_get_a_clear_page(client, token):
    response = client.get(f"/reset/{token}")
    assert response.status_code in (400, 404)


def test_unknown_link_post_is_refused_too(client):
    page = client.get("/forgot-password")
    response = client.post(
        "/reset/unknown",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("short", "short", "password", "at least 12"),
        (NEW_PASSWORD, "something else entirely", "confirm", "The two passwords differ"),
        ("y" * 1025, "y" * 1025, "password", "at most 1024"),
        ("", "", "password", "Enter a new password."),
        ("QWERTYUIOPASDF", "QWERTYUIOPASDF", "password", "most common passwords"),
        ("1111111111111", "1111111111111", "password", "one character repeated"),
        ("a\x00b long passphrase", "a\x00b long passphrase", "password", "NUL"),
    ],
)
def test_reset_refuses_bad_passwords_and_keeps_the_link(
    client, make_user, db, password, confirm, field, message
):
    make_user(Role.COORDINATOR, "known@example.org")
    ask_for_reset(client, "known@example.org")
    token = link_token(outbox(db)[0])
    response = set_new_password(client, token, password, confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="{field}-error"' in html and message in html
    assert client.get(f"/reset/{token}").status_code == 200  # still usable


def test_a_nul_byte_in_the_forgotten_address_is_answered_like_any_address(client, db):
    answer = ask_for_reset(client, "known\x00@example.org")
    assert answer.status_code == 200
    assert "Remove the invisible NUL character" in answer.get_data(as_text=True)
    assert outbox(db) == []


def test_a_nul_byte_in_the_sign_in_address_is_a_message_not_a_500(client):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": "a\x00@example.org", "password": "x" * 12, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 200
    assert "Remove the invisible NUL character" in response.get_data(as_text=True)
