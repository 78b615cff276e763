"""The password rule: the one check every new password passes, wherever it is chosen.

`counselmatch create-user` and `seed-demo`, the one-time link's page (invitation, reset) and the
account page's password change all ask `password_problem`; the sign-in form accepts up to
MAX_PASSWORD_LENGTH characters so that every password this rule lets through can sign in.

A password has MIN_PASSWORD_LENGTH to MAX_PASSWORD_LENGTH characters, is not one character
repeated, and is not on the list of common passwords shipped in models/data (compared in lower
case, so "Password1234" is refused as "password1234" is).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # what the sign-in form accepts
COMMON_PASSWORDS_FILE = "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case (lines starting "# " are comments)."""
    text = resources.files("models.data").joinpath(COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(
        line.lower() for line in text.splitlines() if line and not line.startswith("# ")
    )


def password_problem(password: str) -> str | None:
    """Why `password` cannot be chosen, as a sentence for the person choosing it; None if it can."""
    if "\x00" in password:
        return "The password holds an invisible NUL character; type it again without it."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters; this password has {len(password)}."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters; this password has {len(password)}."
    lowered = password.lower()
    if len(set(lowered)) == 1:
        return "The password is one character repeated; choose one that is harder to guess."
    if lowered in common_passwords():
        return (
            "This is one of the most common passwords, the first ones an attacker tries; "
            "choose another (a few unrelated words are easy to remember and hard to guess)."
        )
    return None
