"""Web fixtures in the flaskr manner: `app` on the test database, `client`, `runner`, `auth`.

CSRF protection stays on: helpers read the token from the page, as a browser would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from fixtures import factories as f
from models.entities import Match, MatchStatus, Role, User

PASSWORD = f.FACTORY_PASSWORD

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_COUNT = re.compile(r'data-count="([^"]+)">(\d+)<')


def text_of(page: TestResponse) -> str:
    """The page's text with entities decoded, tags kept (enough to find what it says)."""
    return html.unescape(page.get_data(as_text=True))


def plain(fragment: str) -> str:
    """Text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def flashes(page: TestResponse | str) -> list[tuple[str, str]]:
    """(category, message) of each flashed message on a page (a response or its HTML)."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    return [
        (category, html.unescape(message))
        for category, message in re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', text, re.S)
    ]


def flash_messages(page: TestResponse | str) -> list[str]:
    """The flashed messages on a page, without their categories."""
    return [message for _, message in flashes(page)]


def status_of(session: Session, match_id: int) -> MatchStatus:
    session.expire_all()
    return session.get_one(Match, match_id).status


def post_from(client: FlaskClient, page_path: str, action: str, data: dict | None = None, **kwargs):
    """POST `data` to `action` with the CSRF token of `page_path`, as its form would."""
    token = csrf_token(client.get(page_path))
    return client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)


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
