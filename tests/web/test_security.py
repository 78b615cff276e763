"""Role checks (per view and per blueprint) and the headers on every response."""

from __future__ import annotations

import pytest
from flask import Blueprint

from models.entities import Role
from web.security import CONTENT_SECURITY_POLICY, require_roles_for_blueprint, role_required

from .conftest import csrf_token


@pytest.fixture
def app(app):
    """The app plus two guarded pages, guarded the two ways later blueprints will use."""

    @app.route("/only-coordinators")
    @role_required(Role.COORDINATOR)
    def only_coordinators() -> str:
        return "coordinator page"

    reports = Blueprint("guarded_reports", __name__, url_prefix="/guarded-reports")
    require_roles_for_blueprint(reports, Role.PROGRAM_LEAD, Role.ADMIN)

    @reports.route("/")
    def index() -> str:
        return "reports page"

    @reports.route("/by-court")
    def by_court() -> str:
        return "reports by court"

    app.register_blueprint(reports)
    return app


PAGES = {
    "/": set(Role),
    "/only-coordinators": {Role.COORDINATOR},
    "/guarded-reports/": {Role.PROGRAM_LEAD, Role.ADMIN},
    "/guarded-reports/by-court": {Role.PROGRAM_LEAD, Role.ADMIN},
}


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("path", list(PAGES))
def test_each_role_reaches_only_its_pages(client, signed_in, role, path):
    signed_in(role)
    response = client.get(path)
    if role in PAGES[path]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        html = response.get_data(as_text=True)
        assert "<h1>You cannot see this page</h1>" in html
        main = html.split('<main id="main"', 1)[1]  # the navigation may link to Reports
        assert "coordinator page" not in main and "reports page" not in main
        assert "reports by court" not in main


@pytest.mark.parametrize("path", list(PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_role_required_needs_a_role():
    with pytest.raises(ValueError, match="at least one role"):
        role_required()


def test_navigation_shows_who_is_signed_in_and_a_sign_out_form(client, signed_in):
    user = signed_in(Role.PROGRAM_LEAD)
    html = client.get("/").get_data(as_text=True)
    assert user.email in html and "Program lead" in html
    assert '<form method="post" action="/logout"' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert 'href="/" aria-current="page">Home</a>' in html


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def test_the_policy_allows_only_this_site():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def _responses(client):
    login = client.get("/login")
    yield "login page", login, 200
    yield "redirect", client.get("/"), 302
    yield "not found", client.get("/no-such-page"), 404
    yield "csrf refusal", client.post("/login", data={"email": "x"}), 400
    yield "method", client.get("/logout"), 405
    yield "static", client.get("/static/style.css"), 200
    yield "sign-in post", client.post("/login", data={"csrf_token": csrf_token(login)}), 200


def test_every_response_carries_the_security_headers(client):
    seen = []
    for name, response, status in _responses(client):
        assert response.status_code == status, name
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, header)
        seen.append(name)
        response.close()
    assert len(seen) == 7


def test_pages_are_not_cached_but_static_files_may_be(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    static = client.get("/static/style.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def _id_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route taking a row id (`<id:...>`), with an id no table can hold."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<id:" not in rule.rule:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<id:{name}>", "99999999999999999999")
        found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ATTORNEY])
def test_an_id_no_table_can_hold_is_a_404_on_every_route(app, client, signed_in, role):
    signed_in(role)
    routes = _id_routes(app)
    assert len(routes) >= 20  # the coordinators' and attorneys' routes with ids
    token = csrf_token(client.get("/account"))
    for method, path in routes:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, path, response.status_code)
