"""Web fixtures in the flaskr manner: `app` on the test database, `client`, `runner`, `auth`.

CSRF protection stays on: helpers read the token from the page, as a browser would.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from fixtures import factories as f
from models.entities import Role, User

PASSWORD = f.FACTORY_PASSWORD

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_COUNT = re.compile(r'data-count="([^"]+)">(\d+)<')


def csrf_token(page: TestResponse) -> str:
    """The CSRF token of the first form on `page`."""
    found = _CSRF_INPUT.search(page.get_data(as_text=True))
    assert found, "no form with a CSRF token on the page"
    return found.group(1)


def shown_counts(page: TestResponse) -> dict[str, int]:
    """The figures a page marks with data-count="name", by name."""
    return {name: int(value) for name, value in _COUNT.findall(page.get_data(as_text=True))}


UserMaker = Callable[..., User]


@pytest.fixture
def make_user(factories: Session) -> UserMaker:
    """make_user(role, email=None, **factory_fields) -> a committed User (password PASSWORD)."""

    def make(role: Role, email: str | None = None, **fields: object) -> User:
        user = f.UserFactory(role=role, email=email or f"{role.value}@example.org", **fields)
        factories.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(
        self, email: str, password: str = PASSWORD, next_path: str | None = None
    ) -> TestResponse:
        query = {"next": next_path} if next_path is not None else {}
        page = self._client.get("/login", query_string=query)
        return self._client.post(
            "/login",
            query_string=query,
            data={"email": email, "password": password, "csrf_token": csrf_token(page)},
        )

    def logout(self) -> TestResponse:
        page = self._client.get("/")
        return self._client.post("/logout", data={"csrf_token": csrf_token(page)})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def signed_in(make_user: UserMaker, auth: AuthActions) -> Callable[[Role], User]:
    """signed_in(role) -> the User, after signing the client in with a new account of `role`."""

    def sign_in(role: Role) -> User:
        user = make_user(role)
        response = auth.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in
