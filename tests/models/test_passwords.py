"""The password rule (models.passwords): one function, its messages, and the shipped list."""

from __future__ import annotations

import pytest

from models.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    common_passwords,
    password_problem,
)


@pytest.mark.parametrize(
    "password",
    [
        "a long passphrase",
        "x" * (MIN_PASSWORD_LENGTH - 1) + "y",
        "ñandú sobre la colina",
        "é" * 11 + "e",
        "p" * (MAX_PASSWORD_LENGTH - 1) + "q",
    ],
    ids=["words", "shortest", "accents", "one-different", "longest"],
)
def test_good_passwords_pass(password):
    assert password_problem(password) is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", f"Use at least {MIN_PASSWORD_LENGTH} characters; this password has 0."),
        ("x" * 11, f"Use at least {MIN_PASSWORD_LENGTH} characters; this password has 11."),
        (
            "ab" * 513,
            f"Use at most {MAX_PASSWORD_LENGTH} characters; this password has 1026.",
        ),
        ("a" * 12, "The password is one character repeated; choose one that is harder to guess."),
        ("AaAaAaAaAaAaAa", "The password is one character repeated"),
        ("            ", "The password is one character repeated"),
        ("password1234", "This is one of the most common passwords"),
        ("PassWord1234", "This is one of the most common passwords"),
        ("QWERTYUIOPASDFGH", "This is one of the most common passwords"),
        ("123456789012", "This is one of the most common passwords"),
        ("correcthorsebatterystaple", "This is one of the most common passwords"),
        ("a long\x00passphrase", "The password holds an invisible NUL character"),
    ],
)
def test_bad_passwords_are_refused_saying_why(password, message):
    problem = password_problem(password)
    assert problem is not None and problem.startswith(message)


def test_the_shipped_list_is_lower_case_large_and_has_no_comments():
    passwords = common_passwords()
    assert len(passwords) > 4000
    assert all(word == word.lower() for word in passwords)
    assert not any(word.startswith("# ") for word in passwords)
    assert {"123456", "password", "iloveyou", "qwertyuiop"} <= passwords
    # Entries the length rule lets through, so that the list is more than decoration.
    assert sum(len(word) >= MIN_PASSWORD_LENGTH for word in passwords) > 400
