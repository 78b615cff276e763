"""`counselmatch create-user`, through click and through a real terminal."""

from __future__ import annotations

import os
import pty
import select as io_select
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from fixtures import factories as f
from models.entities import AuditEvent, Role, User
from models.settings import DEFAULT_PUBLIC_BASE_URL, public_base_url
from web.cli import cli

from .conftest import shown_counts

COUNSELMATCH = Path(sys.executable).with_name("counselmatch")


def users(db) -> list[User]:
    with db.session() as session:
        return list(session.scalars(select(User).order_by(User.id)))


def test_create_user_with_a_password(runner, db):
    result = runner.invoke(
        cli,
        [
            "create-user",
            " Maria.Lopez@Example.ORG ",
            "--role",
            "coordinator",
            "--password",
            "a long passphrase",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created coordinator account maria.lopez@example.org.\n"
    [user] = users(db)
    assert (user.email, user.role, user.active) == (
        "maria.lopez@example.org",
        Role.COORDINATOR,
        True,
    )
    assert check_password_hash(user.password_hash, "a long passphrase")
    with db.session() as session:
        event = session.scalar(select(AuditEvent))
    assert (event.actor, event.action, event.entity_id) == ("cli", "create_user", str(user.id))
    assert event.details == {"role": "coordinator", "attorney_external_id": None}


def test_generated_password_signs_in(runner, db, auth, client):
    result = runner.invoke(cli, ["create-user", "lead@example.org", "--role", "program_lead"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password (shown only now, pass it on safely): ")[1].strip()
    assert len(password) >= 12
    response = auth.login("lead@example.org", password)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Program lead" in client.get("/").get_data(as_text=True)


def test_attorney_account_linked_to_a_profile(runner, db, factories, auth, client):
    f.AttorneyFactory(
        external_id="ATT-0042", name="Rosa Delgado", capacity=4, imported_active_cases=1
    )
    factories.commit()
    result = runner.invoke(
        cli,
        [
            "create-user",
            "rosa@example.org",
            "--role",
            "attorney",
            "--password",
            "a long passphrase",
            "--attorney-external-id",
            "ATT-0042",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "linked to attorney ATT-0042" in result.output
    auth.login("rosa@example.org", "a long passphrase")
    page = client.get("/")
    assert "Rosa Delgado" in page.get_data(as_text=True)
    assert shown_counts(page)["free-slots"] == 3


def test_attorney_account_without_profile_gets_a_note(runner, db):
    result = runner.invoke(
        cli, ["create-user", "a@example.org", "--role", "attorney", "--password", "long passphrase"]
    )
    assert result.exit_code == 0
    assert "linked to no attorney profile" in result.output


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["a@example.org", "--role", "judge"], 2, "'judge' is not one of"),
        (["a@example.org"], 2, "Missing option '--role'"),
        (["not-an-email", "--role", "admin"], 2, "is not an email address"),
        (["a b@example.org", "--role", "admin"], 2, "is not an email address"),
        (["a@example.org", "--role", "admin", "--password", "short"], 2, "Use at least 12"),
        (["a@example.org", "--role", "admin", "--password", "x" * 1025], 2, "Use at most 1024"),
        (["a@example.org", "--role", "admin", "--password", "Password1234"], 2, "most common"),
        (["a@example.org", "--role", "admin", "--password", "aaaaaaaaaaaaaa"], 2, "repeated"),
        (
            ["a@example.org", "--role", "attorney", "--attorney-external-id", "NOPE"],
            1,
            "No attorney has external_id 'NOPE'",
        ),
        (
            ["a@example.org", "--role", "coordinator", "--attorney-external-id", "ATT-1"],
            2,
            "use --role attorney",
        ),
    ],
)
def test_create_user_refuses_bad_input_and_says_why(runner, db, arguments, exit_code, message):
    result = runner.invoke(cli, ["create-user", *arguments])
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert users(db) == []


def test_create_user_refuses_an_existing_email(runner, db, make_user):
    make_user(Role.ADMIN, "Admin@Example.org")
    result = runner.invoke(
        cli, ["create-user", "admin@example.org", "--role", "coordinator", "--password", "x" * 12]
    )
    assert result.exit_code == 1
    assert "An account for admin@example.org already exists" in result.output
    assert len(users(db)) == 1


def test_a_profile_links_to_one_account_only(runner, db, factories, make_user):
    attorney = f.AttorneyFactory(external_id="ATT-7")
    factories.commit()
    make_user(Role.ATTORNEY, "first@example.org", attorney=attorney)
    result = runner.invoke(
        cli,
        [
            "create-user",
            "second@example.org",
            "--role",
            "attorney",
            "--attorney-external-id",
            "ATT-7",
        ],
    )
    assert result.exit_code == 1
    assert "already linked to the account first@example.org" in result.output


def _read_until(fd: int, wanted: bytes) -> bytes:
    """Read the terminal until `wanted` shows up (or the program ends without it)."""
    seen = b""
    while wanted not in seen:
        ready, _, _ = io_select.select([fd], [], [], 120)
        assert ready, f"no {wanted!r} from the command; it printed {seen!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the program closed the terminal
            chunk = b""
        assert chunk, f"the command ended without {wanted!r}; it printed {seen!r}"
        seen += chunk
    return seen


def test_password_is_asked_for_at_a_terminal(db):
    controller, terminal = pty.openpty()
    env = {**os.environ, "COUNSELMATCH_ENV": "testing", "DATABASE_URL": db.url}
    process = subprocess.Popen(
        [str(COUNSELMATCH), "create-user", "typed@example.org", "--role", "admin"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    try:
        _read_until(controller, b"empty to generate one): ")
        os.write(controller, b"typed at the terminal\n")
        _read_until(controller, b"Repeat for confirmation: ")
        os.write(controller, b"typed at the terminal\n")
        output = _read_until(controller, b"Created admin account typed@example.org.")
    finally:
        assert process.wait(timeout=120) == 0
        os.close(controller)
    assert b"typed at the terminal" not in output  # hidden input is not echoed
    [user] = users(db)
    assert check_password_hash(user.password_hash, "typed at the terminal")


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://example.org",
        "example.org",
        "https://",
        "https://a.org/?x=1",
        "https://a.org/\x00",
        "",
    ],
)
def test_set_base_url_refuses_what_is_not_a_web_address(runner, db, bad):
    result = runner.invoke(cli, ["set-base-url", bad])
    assert result.exit_code == 2, result.output
    assert "not a web address" in result.output
    with db.session() as session:
        assert public_base_url(session) == DEFAULT_PUBLIC_BASE_URL


def test_set_base_url_is_what_emailed_links_start_with(runner, db):
    result = runner.invoke(cli, ["set-base-url", "https://counsel.example.org/"])
    assert result.exit_code == 0, result.output
    assert "E-mailed links now start with https://counsel.example.org" in result.output
    with db.session() as session:
        assert public_base_url(session) == "https://counsel.example.org"
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "setting_changed" in actions
