"""The counts of models/queries.py (need, accounts), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fixtures import factories as f
from matcher.rules import Tier, tier_for
from models import queries
from models.entities import CaseStatus, Child, Match, MatchStatus, Role
from tests.conftest import days as days_after_today
from tests.models.records import attorney, child, count_statements, match

AS_OF = date(2026, 3, 10)


days = partial(days_after_today, after=AS_OF)


# --- tiers -----------------------------------------------------------------------------------

HEARING_OFFSETS = [None, -30, -1, 0, 1, 13, 14, 15, 29, 30, 31, 89, 90, 91, 400]


def test_tier_expression_agrees_with_tier_for_at_every_boundary(factories):
    cases = [(offset, detained) for offset in HEARING_OFFSETS for detained in (False, True)]
    for number, (offset, detained) in enumerate(cases):
        child(f"C-{number}", hearing=None if offset is None else days(offset), detained=detained)
    rows = factories.execute(
        select(Child.next_hearing_date, Child.detained, queries.tier_expression(AS_OF))
    ).all()
    assert len(rows) == len(cases)
    for hearing, detained, tier_number in rows:
        assert Tier(tier_number) == tier_for(hearing, detained, AS_OF), (hearing, detained)


@pytest.mark.parametrize(
    ("offset", "detained", "tier"),
    [
        (-1, False, Tier.T1),  # a hearing already past is urgent
        (14, False, Tier.T1),
        (15, False, Tier.T2),
        (30, False, Tier.T2),
        (31, False, Tier.T3),
        (90, False, Tier.T3),
        (91, False, Tier.T4),
        (None, False, Tier.T4),
        (None, True, Tier.T1),
        (200, True, Tier.T1),
    ],
)
def test_children_without_counsel_land_in_the_right_tier(factories, offset, detained, tier):
    child("C-1", hearing=None if offset is None else days(offset), detained=detained)
    counts = queries.children_without_counsel_by_tier(factories, AS_OF)
    assert counts == {t: (1 if t == tier else 0) for t in Tier}


def test_without_counsel_means_open_and_no_accepted_match(factories):
    lawyer = attorney("A-1", capacity=10)
    child("no-match", hearing=days(5))
    for status in (
        MatchStatus.PROPOSED,
        MatchStatus.CONFIRMED,
        MatchStatus.DECLINED,
        MatchStatus.REJECTED,
        MatchStatus.SUPERSEDED,
        MatchStatus.CLOSED,
    ):
        match(child(status.value, hearing=days(5)), lawyer, status)
    match(child("accepted", hearing=days(5)), lawyer, MatchStatus.ACCEPTED)
    # Declined by one attorney, then accepted by another: represented.
    second_try = child("declined-then-accepted", hearing=days(50))
    match(second_try, lawyer, MatchStatus.DECLINED)
    match(second_try, attorney("A-2"), MatchStatus.ACCEPTED)
    child("closed-case", hearing=days(5), case_status=CaseStatus.CLOSED)
    counts = queries.children_without_counsel_by_tier(factories, AS_OF)
    assert counts == {Tier.T1: 7, Tier.T2: 0, Tier.T3: 0, Tier.T4: 0}


def test_counts_on_an_empty_database_are_zero_for_every_tier(session):
    assert queries.children_without_counsel_by_tier(session, AS_OF) == dict.fromkeys(Tier, 0)
    assert queries.count_children(session) == queries.ChildCounts(total=0, open=0)
    assert queries.users_by_role(session) == dict.fromkeys(Role, 0)


def test_count_children_counts_closed_cases_in_the_total_only(factories):
    child("C-1")
    child("C-2", detained=True)
    child("C-3", case_status=CaseStatus.CLOSED)
    counts = queries.count_children(factories)
    assert counts == queries.ChildCounts(total=3, open=2)
    assert type(counts.total) is int and type(counts.open) is int


def test_tiers_follow_the_as_of_date(factories):
    child("C-1", hearing=days(20))
    by_tier = queries.children_without_counsel_by_tier
    assert by_tier(factories, AS_OF)[Tier.T2] == 1
    assert by_tier(factories, days(6))[Tier.T1] == 1
    assert by_tier(factories, days(-70))[Tier.T3] == 1
    assert by_tier(factories, days(-71))[Tier.T4] == 1


def test_users_by_role_counts_active_accounts(factories):
    f.UserFactory.create_batch(2, role=Role.COORDINATOR)
    f.UserFactory(role=Role.ADMIN)
    f.UserFactory(role=Role.ADMIN, active=False)
    assert queries.users_by_role(factories) == {
        Role.COORDINATOR: 2,
        Role.ATTORNEY: 0,
        Role.PROGRAM_LEAD: 0,
        Role.ADMIN: 1,
    }


# --- one statement each, whatever the number of rows ----------------------------------------


def test_each_count_is_one_statement_however_many_rows(factories):
    attorneys = [attorney(f"A-{n}", capacity=4) for n in range(20)]
    for n in range(150):
        new_child = child(f"C-{n}", hearing=days(n % 120), detained=n % 17 == 0)
        if n % 3 == 0:
            match(new_child, attorneys[n % 20], MatchStatus.ACCEPTED)
    calls = [
        lambda: queries.children_without_counsel_by_tier(factories, AS_OF),
        lambda: queries.count_children(factories),
        lambda: queries.users_by_role(factories),
    ]
    for call in calls:
        with count_statements(factories) as statements:
            call()
        assert len(statements) == 1, statements


# --- days between a date and a timestamp -----------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 10, 0, 0, tzinfo=UTC), 0),
        (datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC), 0),
        (datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC), 1),
        # 20:00 in New York on the 10th is already the 11th in UTC: the UTC day counts.
        (datetime(2026, 3, 10, 20, 0, tzinfo=ZoneInfo("America/New_York")), 1),
        (datetime(2026, 3, 9, 12, 0, tzinfo=UTC), -1),
        (datetime(2027, 3, 10, 9, 0, tzinfo=UTC), 365),
    ],
)
def test_days_after_counts_whole_days_to_the_utc_day_of_a_timestamp(factories, moment, expected):
    taken_in = f.ChildFactory(intake_date=AS_OF)
    f.MatchFactory(child=taken_in, created_at=moment)
    factories.flush()
    found = factories.scalar(
        select(queries.days_after(Child.intake_date, Match.created_at)).join(
            Match, Match.child_id == Child.id
        )
    )
    assert found == expected


@pytest.mark.parametrize(
    ("offered", "answered", "expected"),
    [
        (datetime(2026, 3, 10, 9, 0, tzinfo=UTC), datetime(2026, 3, 10, 9, 0, tzinfo=UTC), 0.0),
        (datetime(2026, 3, 10, 9, 0, tzinfo=UTC), datetime(2026, 3, 11, 9, 0, tzinfo=UTC), 86400.0),
        # across a month and a daylight-saving change in New York: UTC seconds
        (
            datetime(2026, 2, 28, 22, 0, tzinfo=ZoneInfo("America/New_York")),
            datetime(2026, 3, 8, 22, 0, 30, tzinfo=ZoneInfo("America/New_York")),
            8 * 86400.0 - 3600 + 30,
        ),
        (datetime(2026, 3, 10, 9, 0, tzinfo=UTC), None, None),
    ],
)
def test_seconds_between_two_timestamps(factories, offered, answered, expected):
    f.MatchFactory(offered_at=offered, answered_at=answered)
    factories.flush()
    found = factories.scalar(select(queries.seconds_between(Match.offered_at, Match.answered_at)))
    assert found == expected
