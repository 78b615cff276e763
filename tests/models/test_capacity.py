"""Free slots (models/capacity.py): the one definition of DESIGN.md rule 4's figure, on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from functools import partial

import pytest

from models import capacity
from models.capacity import Slots
from models.entities import Attorney, MatchStatus
from tests.conftest import days as days_after_today
from tests.models.records import attorney, child, count_statements, match

AS_OF = date(2026, 3, 10)


days = partial(days_after_today, after=AS_OF)


def test_no_attorneys_no_free_slots(session):
    assert capacity.free_slots_by_attorney(session, AS_OF) == {}
    assert capacity.free_slots_summary(session, AS_OF) == capacity.FreeSlotsSummary(0, 0, 0)
    assert capacity.slots_by_attorney(session) == {}


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


def test_slots_by_attorney_count_what_holds_a_slot(factories):
    attorneys = _capacity_scenario()
    slots = capacity.slots_by_attorney(factories)
    loaded = slots[attorneys["loaded"].id]
    assert loaded == Slots(
        capacity=5, imported_active_cases=1, accepted_matches=1, pending_offers=1, free_slots=2
    )
    assert (loaded.active_cases, loaded.load) == (2, 3)
    assert slots[attorneys["overfull"].id].free_slots == 0  # 1 - 3: never negative
    assert slots[attorneys["overfull"].id].load == 3
    # Leave is not capacity: one away keeps their free slots here (the engine judges the day).
    assert slots[attorneys["leave-today"].id].free_slots == 3
    assert attorneys["inactive"].id in slots
    active = capacity.slots_by_attorney(factories, active_only=True)
    assert attorneys["inactive"].id not in active and len(active) == len(attorneys) - 1
    some = [attorneys["plain"].id, attorneys["full"].id]
    assert set(capacity.slots_by_attorney(factories, some)) == set(some)


def test_each_figure_is_one_statement_however_many_rows(factories):
    attorneys = [attorney(f"A-{n}", capacity=4) for n in range(20)]
    for n in range(150):
        new_child = child(f"C-{n}", hearing=days(n % 120), detained=n % 17 == 0)
        if n % 3 == 0:
            match(new_child, attorneys[n % 20], MatchStatus.ACCEPTED)
    calls = [
        lambda: capacity.free_slots_by_attorney(factories, AS_OF),
        lambda: capacity.free_slots_summary(factories, AS_OF),
        lambda: capacity.attorney_load(factories, attorneys[0].id, AS_OF),
        lambda: capacity.slots_by_attorney(factories),
    ]
    for call in calls:
        with count_statements(factories) as statements:
            call()
        assert len(statements) == 1, statements
