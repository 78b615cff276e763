"""The audit trail page: newest first, filters by who, action, record and UTC day, pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from fixtures import factories as f
from models.entities import Role

LONG_REASON = "The attorney's firm already represents the sponsor; " * 4


def shown_events(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-event="(\d+)">', html)]


@pytest.fixture
def events(factories, signed_in):
    """Four events in March 2026 and the coordinator's sign-in (now); returns their ids by name."""
    signed_in(Role.COORDINATOR)

    def at(day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
        return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)

    made = {
        "import": f.AuditEventFactory(
            at=at(1), actor="cli", action="import", entity_type="children", details={"rows": 3}
        ),
        "confirm": f.AuditEventFactory(
            at=at(2, 23, 59, 59),
            actor="maria@org.example",
            action="match_confirmed",
            entity_type="match",
            entity_id="17",
            details={"reason": LONG_REASON},
        ),
        "run": f.AuditEventFactory(
            at=at(3, 0),
            actor="scheduler",
            action="match_run_succeeded",
            entity_type="match_run",
            entity_id="4",
            details={"proposed": 10, "unmatched": 2},
        ),
        "export": f.AuditEventFactory(
            at=at(5),
            actor="jo@org.example",
            action="export",
            entity_type="children",
            details={"rows": 5, "via": "web"},
        ),
    }
    factories.commit()
    return {name: event.id for name, event in made.items()}


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD], ids=lambda r: r.value)
def test_only_coordinators_see_the_audit_trail(client, signed_in, role):
    signed_in(role)
    assert client.get("/audit").status_code == 403


def test_events_are_listed_newest_first_with_compact_details(client, events):
    html = client.get("/audit").get_data(as_text=True)

    ids = shown_events(html)
    assert ids[1:] == [events["export"], events["run"], events["confirm"], events["import"]]
    assert len(ids) == 5  # the newest: the coordinator signing in
    run_row = html[html.index(f'data-event="{events["run"]}"') :]
    run_row = run_row[: run_row.index("</tr>")]
    assert '<time datetime="2026-03-03T00:00:00+00:00">2026-03-03 00:00:00</time>' in run_row
    assert "<td>scheduler</td>" in run_row and "match run succeeded" in run_row
    assert "match run 4" in run_row and "<code>proposed=10, unmatched=2</code>" in run_row
    confirm_row = html[html.index(f'data-event="{events["confirm"]}"') :]
    confirm_row = confirm_row[: confirm_row.index("</tr>")]
    assert "<details><summary><code>reason=The attorney&#39;s firm" in confirm_row
    assert "…</code></summary>" in confirm_row
    assert LONG_REASON.strip().replace("'", "&#39;") in confirm_row  # whole, behind the summary


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "MARIA"}, ["confirm"]),  # part of an email, any case
        ({"actor": "org.example"}, ["export", "confirm"]),
        ({"action": "import"}, ["import"]),
        ({"entity_type": "match_run"}, ["run"]),
        ({"entity_type": "children"}, ["export", "import"]),
        ({"entity_id": "17"}, ["confirm"]),
        ({"date_from": "2026-03-02", "date_to": "2026-03-02"}, ["confirm"]),  # whole UTC day
        ({"date_to": "2026-03-02"}, ["confirm", "import"]),
        ({"date_from": "2026-03-03", "date_to": "2026-03-31"}, ["export", "run"]),
        ({"actor": "cli", "action": "import", "entity_type": "children"}, ["import"]),
        ({"actor": "nobody"}, []),
    ],
)
def test_filters_narrow_the_trail(client, events, query, expected):
    html = client.get("/audit", query_string=query).get_data(as_text=True)
    assert shown_events(html) == [events[name] for name in expected]
    assert "Clear the filters" in html
    if not expected:
        assert "No event meets these filters" in html


def test_action_and_record_type_choices_are_those_recorded(client, events):
    html = client.get("/audit").get_data(as_text=True)
    action_select = html[html.index('id="action"') : html.index('id="entity_type"')]
    assert re.findall(r'<option[^>]*value="([^"]*)"', action_select) == [
        "",
        "export",
        "import",
        "match_confirmed",
        "match_run_succeeded",
        "sign_in",
    ]
    assert '<option value="match_run">match run</option>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-02-30"}, "Not a valid date value."),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "The end date is before the start"),
        ({"action": "no_such_action"}, "Not a valid choice."),
    ],
)
def test_a_filter_that_cannot_be_used_is_reported_and_left_out(client, events, query, message):
    html = client.get("/audit", query_string=query).get_data(as_text=True)
    assert message in html and "Some filters could not be used" in html
    shown = shown_events(html)
    if "date_to" in query:  # the valid start date still applies
        assert shown[1:] == [events["export"]]
    else:
        assert len(shown) == 5


def test_the_trail_is_paginated_keeping_the_filters(app, client, events):
    app.config["PAGE_SIZE"] = 2
    first = client.get("/audit?actor=e").get_data(as_text=True)  # every actor but "cli"
    second = client.get("/audit?actor=e&page=2").get_data(as_text=True)

    assert len(shown_events(first)) == 2
    assert 'href="/audit?actor=e&amp;page=2" rel="next"' in first
    assert shown_events(second) == [events["run"], events["confirm"]]
    assert "Showing 3&ndash;4 of 4 events (page 2 of 2)" in second


def test_admins_see_the_audit_trail_with_the_same_filters(client, factories, make_user, auth):
    f.AuditEventFactory(actor="cli", action="import", entity_type="children")
    f.AuditEventFactory(actor="jo@org.example", action="export", entity_type="children")
    factories.commit()
    admin = make_user(Role.ADMIN)
    auth.login(admin.email)
    page = client.get("/audit", query_string={"action": "export"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert len(shown_events(html)) == 1 and "jo@org.example" in html
    assert 'href="/audit"' in client.get("/").get_data(as_text=True)  # in the navigation
    assert client.get("/review").status_code == 403  # the rest stays coordinators'
