"""/reports/recruitment: the targets page and its what-if form (CSRF on, every input checked)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fixtures import factories as f
from jobs.matching import run_match
from jobs.recruitment import compute_targets
from models.entities import Role
from tests.conftest import TODAY
from tests.web.conftest import post_from, text_of

PAGE = "/reports/recruitment"


@pytest.fixture
def targets(db, factories):
    for _ in range(6):
        f.ChildFactory(language_code="mam", next_hearing_date=TODAY + timedelta(days=5))
    f.AttorneyFactory(capacity=1)
    factories.commit()
    run_match(db, as_of=TODAY, trigger="command")
    compute_targets(db)
    return db


def row(n: int = 0, **fields: str) -> dict[str, str]:
    values = {"court": "HOU", "language": "mam", "case_type": "asylum", "slots": "4", **fields}
    return {f"recruits-{n}-{name}": value for name, value in values.items()}


def answer_rows(page) -> dict[str, list[str]]:
    section = text_of(page).split('data-answer="what-if"', 1)[1]
    cells = re.findall(r"<tr><th scope=\"row\">(T\d)</th>(.*?)</tr>", section, re.S)
    return {tier: re.findall(r'<td class="num">([^<]*)</td>', rest) for tier, rest in cells}


def test_the_page_lists_the_targets_and_prefills_the_what_if(client, signed_in, targets):
    signed_in(Role.PROGRAM_LEAD)
    page = client.get(PAGE)
    text = text_of(page)
    assert page.status_code == 200
    assert "Houston (HOU), Mam, asylum, 3 slots" in text
    assert re.search(r'<option selected value="HOU">', text)
    assert "What if we recruit these?" in text


def test_what_if_shows_the_new_tier_counts(client, signed_in, targets):
    signed_in(Role.PROGRAM_LEAD)
    page = post_from(client, PAGE, PAGE, {**row(0), **row(1, court="", language="", case_type="")})
    assert page.status_code == 200, text_of(page)
    assert answer_rows(page)["T1"] == ["0", "4", "4"]  # matched by the run, with, gain


def test_what_if_without_csrf_is_refused(client, signed_in, targets):
    signed_in(Role.PROGRAM_LEAD)
    assert client.post(PAGE, data=row(0)).status_code == 400


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose at least one attorney to recruit."),
        (row(0, court="HOU\x00"), "Not a valid choice"),
        (row(0, court="ZZZ"), "Not a valid choice"),
        (row(0, language="xx\x00"), "Not a valid choice"),
        (row(0, case_type="bribery"), "Not a valid choice"),
        (row(0, court=""), "Choose the court."),
        (row(0, language=""), "Choose the language."),
        (row(0, slots="0"), "Between 1 and 20 cases."),
        (row(0, slots="99999999999999999999"), "Between 1 and 20 cases."),
        (row(0, slots="3\x00"), "Not a valid integer value"),
    ],
)
def test_bad_what_if_input_is_a_form_error(client, signed_in, targets, data, message):
    signed_in(Role.PROGRAM_LEAD)
    page = post_from(client, PAGE, PAGE, data)
    assert page.status_code == 400
    assert message in text_of(page)
    assert 'data-answer="what-if"' not in text_of(page)


def test_more_rows_than_five_are_ignored(client, signed_in, targets):
    signed_in(Role.PROGRAM_LEAD)
    data = {k: v for n in range(8) for k, v in row(n, slots="1").items()}
    page = post_from(client, PAGE, PAGE, data)
    assert page.status_code == 200
    assert answer_rows(page)["T1"][2] == "5"  # five recruits of one slot each


def test_before_any_run_the_page_and_the_what_if_say_so(client, signed_in, factories):
    f.ChildFactory(language_code="mam")
    factories.commit()
    signed_in(Role.PROGRAM_LEAD)
    page = client.get(PAGE)
    assert "No recruitment targets yet" in text_of(page)
    asked = post_from(client, PAGE, PAGE, row(0))
    assert asked.status_code == 200
    assert "No matching run has succeeded yet" in text_of(asked)


@pytest.mark.parametrize("role", [Role.ATTORNEY])
def test_attorneys_cannot_see_or_ask(client, signed_in, targets, role):
    signed_in(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data=row(0)).status_code in (400, 403)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_can(client, signed_in, targets, role):
    signed_in(role)
    assert client.get(PAGE).status_code == 200
