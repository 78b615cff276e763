"""The shared counts of models/queries.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from fixtures import factories as f
from matcher.rules import Tier, tier_for
from models import capacity, queries
from models.entities import Attorney, CaseStatus, Child, Match, MatchStatus, Role

AS_OF = date(2026, 3, 10)


def days(n: int) -> date:
    return AS_OF + timedelta(days=n)


def child(
    external_id: str,
    *,
    hearing: date | None = None,
    detained: bool = False,
    case_status: CaseStatus = CaseStatus.OPEN,
) -> Child:
    return f.ChildFactory(
        external_id=external_id,
        next_hearing_date=hearing,
        detained=detained,
        case_status=case_status,
    )


def attorney(
    external_id: str,
    *,
    capacity: int = 3,
    imported_active_cases: int = 0,
    active: bool = True,
    leave: tuple[date, date] | None = None,
) -> Attorney:
    return f.AttorneyFactory(
        external_id=external_id,
        name=f"Attorney {external_id}",
        capacity=capacity,
        imported_active_cases=imported_active_cases,
        active=active,
        leave=[leave] if leave else [],
    )


def match(of_child: Child, to_attorney: Attorney, status: MatchStatus) -> Match:
    return f.MatchFactory(child=of_child, attorney=to_attorney, status=status)


@contextmanager
def count_statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs inside the block."""
    statements: list[str] = []
    engine = session.get_bind()

    def remember(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


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
    assert capacity.free_slots_by_attorney(session, AS_OF) == {}
    assert capacity.free_slots_summary(session, AS_OF) == capacity.FreeSlotsSummary(0, 0, 0)
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


# --- capacity --------------------------------------------------------------------------------


def _capacity_scenario() -> dict[str, Attorney]:
    attorneys = {
        "plain": attorney("plain", capacity=3, imported_active_cases=1),
        "loaded": attorney("loaded", capacity=5, imported_active_cases=1),
        "full": attorney("full", capacity=2, imported_active_cases=2),
        "overfull": attorney("overfull", capacity=1, imported_active_cases=3),
        "inactive": attorney("inactive", capacity=4, active=False),
        "leave-today": attorney("leave-today", leave=(days(-3), days(3))),
        "leave-starts-today": attorney("leave-starts", leave=(AS_OF, days(9))),
        "leave-ends-today": attorney("leave-ends", leave=(days(-9), AS_OF)),
        "leave-ended": attorney("leave-ended", capacity=2, leave=(days(-9), days(-1))),
        "leave-later": attorney("leave-later", capacity=1, leave=(days(1), days(9))),
    }
    statuses = [
        MatchStatus.ACCEPTED,
        MatchStatus.CONFIRMED,
        # None of these holds a slot:
        MatchStatus.PROPOSED,
        MatchStatus.DECLINED,
        MatchStatus.REJECTED,
        MatchStatus.CLOSED,
        MatchStatus.SUPERSEDED,
    ]
    for number, status in enumerate(statuses):
        match(child(f"C-{number}"), attorneys["loaded"], status)
    return attorneys


def test_free_slots_by_attorney_follow_rule_4(factories):
    attorneys = _capacity_scenario()
    free = capacity.free_slots_by_attorney(factories, AS_OF)
    assert free == {
        attorneys["plain"].id: 2,
        attorneys["loaded"].id: 2,  # 5 - 1 imported - 1 accepted - 1 confirmed
        attorneys["full"].id: 0,
        attorneys["overfull"].id: 0,  # never negative
        attorneys["leave-ended"].id: 2,
        attorneys["leave-later"].id: 1,
    }


def test_free_slots_summary_adds_up_the_same_figures(factories):
    _capacity_scenario()
    summary = capacity.free_slots_summary(factories, AS_OF)
    assert summary == capacity.FreeSlotsSummary(
        available_attorneys=6, attorneys_with_free_slots=4, free_slots=7
    )
    assert all(type(figure) is int for figure in astuple(summary))  # not Decimal on PostgreSQL
    # Five days on, "leave-later" and "leave-starts-today" are away; "leave-today" and
    # "leave-ends-today" are back with 3 free slots each.
    assert capacity.free_slots_summary(factories, days(5)) == capacity.FreeSlotsSummary(
        available_attorneys=7, attorneys_with_free_slots=5, free_slots=12
    )


def test_attorney_load_of_one_attorney(factories):
    attorneys = _capacity_scenario()
    load = capacity.attorney_load(factories, attorneys["loaded"].id, AS_OF)
    assert load == capacity.AttorneyLoad(
        name="Attorney loaded",
        active=True,
        on_leave=False,
        capacity=5,
        imported_active_cases=1,
        accepted_matches=1,
        pending_offers=1,
        free_slots=2,
    )
    assert load.active_cases == 2 and load.free_slots == 2


@pytest.mark.parametrize(
    ("key", "on_leave", "free_slots"),
    [
        ("leave-today", True, 0),
        ("leave-starts-today", True, 0),
        ("leave-ends-today", True, 0),
        ("leave-ended", False, 2),
        ("inactive", False, 0),
        ("overfull", False, 0),
    ],
)
def test_attorney_load_has_no_free_slots_while_away_or_full(factories, key, on_leave, free_slots):
    attorneys = _capacity_scenario()
    load = capacity.attorney_load(factories, attorneys[key].id, AS_OF)
    assert load is not None
    assert (load.on_leave, load.free_slots) == (on_leave, free_slots)
    free = capacity.free_slots_by_attorney(factories, AS_OF)
    assert free.get(attorneys[key].id, 0) == free_slots


def test_attorney_load_of_an_unknown_attorney_is_none(session):
    assert capacity.attorney_load(session, 12345, AS_OF) is None


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
        lambda: capacity.free_slots_by_attorney(factories, AS_OF),
        lambda: capacity.free_slots_summary(factories, AS_OF),
        lambda: capacity.attorney_load(factories, attorneys[0].id, AS_OF),
        lambda: queries.users_by_role(factories),
    ]
    for call in calls:
        with count_statements(factories) as statements:
            call()
        assert len(statements) == 1, statements
