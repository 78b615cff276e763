"""Each role's home page shows the counts the database holds."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fixtures import factories as f
from matcher.rules import Tier, tier_for
from models.entities import Attorney, CaseStatus, Child, Match, MatchStatus, Role

from .conftest import shown_counts


def days(n: int) -> date:
    return date.today() + timedelta(days=n)


def populate(session: Session) -> None:
    """Children in every tier and state, attorneys in every capacity situation."""
    children = [
        f.ChildFactory(next_hearing_date=days(-2)),  # past hearing: T1
        f.ChildFactory(next_hearing_date=days(14)),  # T1
        f.ChildFactory(next_hearing_date=days(200), detained=True),  # T1
        f.ChildFactory(next_hearing_date=days(15)),  # T2
        f.ChildFactory(next_hearing_date=days(30)),  # T2
        f.ChildFactory(next_hearing_date=days(31)),  # T3
        f.ChildFactory(next_hearing_date=days(90)),  # T3
        f.ChildFactory(next_hearing_date=days(91)),  # T4
        f.ChildFactory(next_hearing_date=None),  # T4
        f.ChildFactory(next_hearing_date=days(3), case_status=CaseStatus.CLOSED),
    ]
    busy = f.AttorneyFactory(capacity=5, imported_active_cases=1)
    f.AttorneyFactory(capacity=2)
    f.AttorneyFactory(capacity=1, imported_active_cases=1)  # full
    f.AttorneyFactory(capacity=4, active=False)
    f.AttorneyFactory(capacity=3, leave=[(days(-1), days(1))])
    f.MatchFactory(child=children[0], attorney=busy, status=MatchStatus.ACCEPTED)
    f.MatchFactory(child=children[3], attorney=busy, status=MatchStatus.CONFIRMED)
    f.MatchFactory(child=children[5], attorney=busy, status=MatchStatus.PROPOSED)
    f.MatchFactory(child=children[7], attorney=busy, status=MatchStatus.ACCEPTED)
    session.commit()


def expected_overview(session: Session, as_of: date) -> dict[str, int]:
    """The figures worked out row by row in Python, independently of models.queries."""
    children = session.scalars(select(Child)).all()
    matches = session.scalars(select(Match)).all()
    represented = {m.child_id for m in matches if m.status == MatchStatus.ACCEPTED}
    tiers = Counter(
        tier_for(c.next_hearing_date, c.detained, as_of)
        for c in children
        if c.case_status == CaseStatus.OPEN and c.id not in represented
    )
    held = Counter(
        m.attorney_id for m in matches if m.status in (MatchStatus.ACCEPTED, MatchStatus.CONFIRMED)
    )
    free = [
        a.capacity - a.imported_active_cases - held[a.id]
        for a in session.scalars(select(Attorney)).all()
        if a.active and not any(p.start_date <= as_of <= p.end_date for p in a.leave_periods)
    ]
    figures = {f"tier-{tier.value}": tiers[tier] for tier in Tier}
    figures.update(
        {
            "without-counsel": sum(tiers.values()),
            "open-children": sum(c.case_status == CaseStatus.OPEN for c in children),
            "total-children": len(children),
            "available-attorneys": len(free),
            "attorneys-with-free-slots": sum(slots > 0 for slots in free),
            "free-slots": sum(max(slots, 0) for slots in free),
        }
    )
    return figures


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PROGRAM_LEAD, Role.ADMIN])
def test_overview_counts_match_the_database(client, signed_in, factories, role):
    populate(factories)
    signed_in(role)
    page = client.get("/")
    assert page.status_code == 200
    expected = expected_overview(factories, date.today())
    # The scenario is only a test if it reaches every figure.
    assert expected == {
        "tier-1": 2,
        "tier-2": 2,  # a confirmed offer is not counsel yet
        "tier-3": 2,
        "tier-4": 1,
        "without-counsel": 7,
        "open-children": 9,
        "total-children": 10,
        "available-attorneys": 3,
        "attorneys-with-free-slots": 2,
        "free-slots": 3,
    }
    shown = shown_counts(page)
    assert {name: shown[name] for name in expected} == expected
    assert shown["shortfall"] == 4


def test_admin_sees_accounts_by_role(client, signed_in, make_user):
    make_user(Role.COORDINATOR, "c1@example.org")
    make_user(Role.COORDINATOR, "c2@example.org")
    make_user(Role.PROGRAM_LEAD)
    make_user(Role.ADMIN, "old-admin@example.org", active=False)
    signed_in(Role.ADMIN)
    counts = shown_counts(client.get("/"))
    assert {name: counts[name] for name in counts if name.startswith("users-")} == {
        "users-coordinator": 2,
        "users-attorney": 0,
        "users-program_lead": 1,
        "users-admin": 1,
    }


def test_coordinator_and_lead_do_not_see_account_counts(client, signed_in):
    signed_in(Role.PROGRAM_LEAD)
    html = client.get("/").get_data(as_text=True)
    assert "users-" not in html and "<h1>Overview</h1>" in html


def test_empty_database_says_how_to_start(client, signed_in):
    signed_in(Role.COORDINATOR)
    html = client.get("/").get_data(as_text=True)
    assert "No children yet - import a spreadsheet with" in html
    assert "<code>counselmatch import children FILE.csv</code>" in html
    assert "<code>counselmatch import attorneys FILE.csv</code>" in html
    assert 'data-count="tier-1"' not in html


def test_attorney_sees_their_own_caseload(client, auth, make_user, factories):
    mine = f.AttorneyFactory(name="Rosa Delgado", capacity=6, imported_active_cases=1)
    other = f.AttorneyFactory(name="Someone Else", capacity=9)
    f.MatchFactory(attorney=mine, status=MatchStatus.ACCEPTED)
    f.MatchFactory(attorney=mine, status=MatchStatus.CONFIRMED)
    f.MatchFactory(attorney=mine, status=MatchStatus.CONFIRMED)
    f.MatchFactory(attorney=mine, status=MatchStatus.PROPOSED)
    f.MatchFactory(attorney=mine, status=MatchStatus.DECLINED)
    f.MatchFactory(attorney=other, status=MatchStatus.ACCEPTED)
    factories.commit()
    user = make_user(Role.ATTORNEY, attorney=mine)
    auth.login(user.email)
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert "Rosa Delgado" in html and "Someone Else" not in html
    assert shown_counts(page) == {
        "capacity": 6,
        "active-cases": 2,  # 1 imported + 1 accepted
        "pending-offers": 2,
        "free-slots": 2,  # 6 - 2 - 2
    }
    assert 'data-count="tier-1"' not in html  # nothing about the children at large


def test_attorney_on_leave_is_told_no_offers_come(client, auth, make_user, factories):
    away = f.AttorneyFactory(capacity=3, leave=[(days(-1), days(10))])
    factories.commit()
    auth.login(make_user(Role.ATTORNEY, attorney=away).email)
    page = client.get("/")
    assert "You are on leave today" in page.get_data(as_text=True)
    assert shown_counts(page)["free-slots"] == 0


def test_attorney_account_without_profile_is_told_what_to_do(client, signed_in):
    signed_in(Role.ATTORNEY)
    html = client.get("/").get_data(as_text=True)
    assert "not linked to an attorney profile" in html
    assert "--attorney-external-id" in html


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_home_pages_meet_the_accessibility_basics(client, signed_in, role):
    signed_in(role)
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert html.count("<h1") == 1
    assert '<header class="site-header">' in html and "<nav" in html
    assert "<title>" in html and " - Counsel Match</title>" in html
    assert "style=" not in html and "<script" not in html  # the CSP allows neither
