"""/admin/settings through the test client (CSRF on): roles, every setting shown with its meaning,
good and bad input with the message on its field, changes audited and shown in the history, and
a change picked up by the next run and by `counselmatch scheduler --print-schedule`."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from fixtures import factories as f
from jobs.matching import run_match
from models.entities import AuditEvent, Match, MatchStatus, Role, UnmatchedChild
from models.setting_changes import change_settings
from models.setting_kinds import YesNo
from models.settings import (
    OFFER_REMINDER_DAYS_KEY,
    all_settings,
    load_match_settings,
    offer_timing,
    put_setting,
    schedule_setting,
    setting_named,
)
from tests.conftest import TODAY
from web.cli import cli

from .conftest import csrf_token, flash_messages, text_of

PATH = "/admin/settings"
SETTING_CHANGES = (
    select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "setting_changed")
)


def _error_of(page, field_id: str) -> str:
    """The message shown under the field `field_id` (empty when none)."""
    html = text_of(page)
    marker = f'id="{field_id}-error">'
    if marker not in html:
        return ""
    start = html.index(marker) + len(marker)
    return html[start : html.index("</p>", start)].replace(
        '<span class="visually-hidden">Error: </span>', ""
    )


def _form_values(page) -> dict[str, str]:
    """Every setting's field as the page fills it, by field name."""
    html = page.get_data(as_text=True)
    values = {}
    for spec in all_settings():
        if isinstance(spec, YesNo):
            found = re.search(
                rf'<select[^>]*name="{spec.field_name}".*?<option selected value="(\w+)"',
                html,
                re.S,
            )
        else:
            found = re.search(rf'<input[^>]*name="{spec.field_name}"[^>]*value="([^"]*)"', html)
        assert found, spec.name
        values[spec.field_name] = unescape(found.group(1))
    return values


def save(client, changes: dict[str, str]):
    """POST the page's form as shown with `changes` (setting name -> text) typed over it."""
    page = client.get(PATH)
    data = _form_values(page)
    for name, text in changes.items():
        data[setting_named(name).field_name] = text
    return client.post(PATH, data={"csrf_token": csrf_token(page), **data})


@pytest.fixture
def admin(signed_in):
    return signed_in(Role.ADMIN)


@pytest.mark.parametrize(
    "role", [Role.COORDINATOR, Role.PROGRAM_LEAD, Role.ATTORNEY], ids=lambda r: r.value
)
def test_other_roles_get_403(client, signed_in, db, role):
    signed_in(role)
    assert client.get(PATH).status_code == 403
    token = csrf_token(client.get("/"))
    response = client.post(PATH, data={"csrf_token": token, "schedule-timezone": "UTC"})
    assert response.status_code == 403
    with db.session() as session:
        assert schedule_setting(session).timezone == "America/New_York"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PATH)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_shows_every_setting_with_its_meaning_unit_range_and_default(client, admin):
    page = client.get(PATH)
    html = text_of(page)
    assert page.status_code == 200
    for spec in all_settings():
        assert f'<label class="label" for="{spec.field_name}">{spec.label}</label>' in html
        assert spec.meaning in html and f"Allowed: {spec.allowed()}." in html, spec.name
    assert "Default: French; Haitian Creole; Portuguese; Spanish." in html
    assert "counts for children who are not detained. Yes: also for detained children." in html
    values = _form_values(page)
    assert values["schedule-timezone"] == "America/New_York"
    assert values["schedule-nightly_match"] == "03:30"
    assert values["match-interpreter_languages"] == "French; Haitian Creole; Portuguese; Spanish"
    assert values["match-mentored_for_detained"] == "no"
    assert values["match-weights-tender_age"] == "10"
    assert values["privacy-retention_years"] == "7"
    assert "No setting has been changed yet" in html
    assert '<a href="/admin/settings" aria-current="page">Settings</a>' in html


def test_a_change_is_saved_audited_and_shown_in_the_history(client, admin, db):
    response = save(client, {"schedule.nightly_match": "02:15", "match.weights.tender_age": "12.5"})
    assert response.status_code == 302
    page = client.get(PATH)
    [message] = flash_messages(page)
    assert "Nightly match (03:30 → 02:15)" in message and "Tender age (10 → 12.5)" in message
    with db.session() as session:
        assert schedule_setting(session).nightly_match["hour"] == "2"
        assert load_match_settings(session).tender_age == 12.5
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "setting_changed")
        ).all()
    assert {(e.entity_id, e.actor) for e in events} == {
        ("schedule.nightly_match", admin.email),
        ("match.weights.tender_age", admin.email),
    }
    html = text_of(page)
    assert re.search(r"<td>Tender age</td>\s*<td data-old>10</td>\s*<td data-new>12.5</td>", html)
    assert re.search(
        r"<td>Nightly match</td>\s*<td data-old>03:30</td>\s*<td data-new>02:15</td>", html
    )
    assert _form_values(page)["schedule-nightly_match"] == "02:15"


def test_saving_the_form_unchanged_changes_nothing(client, admin, db):
    response = save(client, {})
    assert response.status_code == 302
    assert flash_messages(client.get(PATH)) == ["Nothing changed: every value was as saved."]
    with db.session() as session:
        assert session.scalar(SETTING_CHANGES) == 0


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("schedule.timezone", "America/NewYork", "Did you mean America/New_York?"),
        ("schedule.timezone", "Eastern\x00", "NUL character"),
        ("schedule.nightly_match", "25:00", "HH:MM on the 24-hour clock"),
        ("schedule.nightly_match", "3.30", "HH:MM on the 24-hour clock"),
        ("schedule.offer_clock", "60", "from 0 to 59"),
        ("match.interpreter_languages", "Spanish; Klingonish", "Unknown language 'Klingonish'"),
        ("match.interpreter_languages", "Spa\x00nish", "NUL character"),
        ("match.mentored_for_detained", "perhaps", "Choose yes or no."),
        ("match.solver_time_limit_s", "0", "Must be from 1 to 3600 seconds."),
        ("match.solver_time_limit_s", "9" * 400, "Too long"),
        ("match.stability_bonus", "1e9", "Write a number of points"),
        ("match.weights.tender_age", "-3", "Must be from 0 to 1000 points."),
        ("match.weights.language_native", "99999999999999999999", "Write a number of points"),
        ("match.weights.distance_cap_km", "0", "Must be from 1 to 5000 km."),
        ("offers.reminder_days", "two", "Write a whole number of days"),
        ("offers.reminder_days", "9", "must come before the expiry"),
        ("offers.expiry_days", str(2**63), "Write a whole number of days"),
        ("offers.expired_pair_pause_days", "366", "Must be from 1 to 365 days."),
        ("privacy.retention_years", "0", "Must be from 1 to 50 years."),
        ("privacy.retention_years", "\x00", "NUL character"),
        ("app.base_url", "javascript:alert(1)", "not a web address"),
    ],
)
def test_bad_input_is_refused_with_the_message_on_its_field_and_nothing_saved(
    client, admin, db, name, typed, message
):
    response = save(client, {name: typed, "schedule.report_snapshot": "05:00"})
    assert response.status_code == 400
    spec = setting_named(name)
    assert message in _error_of(response, spec.field_name)
    assert f'href="#{spec.field_name}"' in text_of(response)  # in the error summary
    with db.session() as session:
        assert session.scalar(SETTING_CHANGES) == 0
        assert schedule_setting(session).report_snapshot["hour"] == "4"


def test_a_post_without_csrf_token_is_refused(client, admin, db):
    response = client.post(PATH, data={"schedule-timezone": "UTC"})
    assert response.status_code == 400
    with db.session() as session:
        assert schedule_setting(session).timezone == "America/New_York"


def test_a_stored_value_the_readers_refuse_is_marked_on_its_field(client, admin, factories):
    put_setting(factories, OFFER_REMINDER_DAYS_KEY, "two")
    factories.commit()
    page = client.get(PATH)
    assert page.status_code == 200
    assert "The value stored now cannot be used." in _error_of(page, "offers-reminder_days")
    response = save(client, {"offers.reminder_days": "3"})
    assert response.status_code == 302
    factories.expire_all()
    assert offer_timing(factories).reminder_days == 3


def test_the_history_is_newest_first_and_paginated(client, admin, factories, app):
    per_page = app.config["PAGE_SIZE"]
    with factories.begin():
        for minutes in range(per_page + 1):
            change_settings(factories, "admin@example.org", {"schedule.offer_clock": str(minutes)})
    first = text_of(client.get(PATH))
    second = text_of(client.get(PATH, query_string={"page": 2}))
    events = re.findall(r'<tr data-event="(\d+)">', first)
    assert len(events) == per_page and events == sorted(events, key=int, reverse=True)
    assert re.findall(r"<td data-new>(\d+)</td>", first)[0] == str(per_page)
    assert re.findall(r"<td data-new>(\d+)</td>", second) == ["0"]
    assert "Next page" in first and f"of {per_page + 1} changes" in first


def test_removing_spanish_from_the_interpreter_languages_takes_effect_at_the_next_run(
    client, admin, factories, db, interpreters_restored
):
    child = f.ChildFactory(language_code="spa", other_language_codes=[])
    f.AttorneyFactory(language_levels={"eng": "native"})  # speaks no Spanish
    factories.commit()
    first = run_match(db, as_of=TODAY, trigger="command")
    assert [(p.child_id, p.score_parts["language"]) for p in first.result.proposals] == [
        (child.id, 0.0)
    ]

    response = save(client, {"match.interpreter_languages": "Portuguese; French; Haitian Creole"})
    assert response.status_code == 302
    second = run_match(db, as_of=TODAY, trigger="command")

    assert second.result.proposals == ()
    with db.session() as session:
        proposed = session.scalars(select(Match).where(Match.status == MatchStatus.PROPOSED)).all()
        reason = session.scalars(
            select(UnmatchedChild.reason).where(UnmatchedChild.run_id == second.run_id)
        ).one()
    assert proposed == [] and reason == "no_language"


def test_a_schedule_change_shows_in_print_schedule(client, admin, runner):
    before = runner.invoke(cli, ["scheduler", "--print-schedule"])
    assert " 03:30:00 E" in before.output  # EST or EDT

    save(client, {"schedule.timezone": "America/Chicago", "schedule.nightly_match": "01:45"})
    after = runner.invoke(cli, ["scheduler", "--print-schedule"])

    assert after.exit_code == 0, after.output
    nightly = next(line for line in after.output.splitlines() if line.startswith("nightly-match:"))
    assert re.search(r" 01:45:00 C[SD]T \(0[67]:45 UTC\)", nightly), nightly
    assert " 03:30:00 " not in nightly
