"""Strict tier priority, tier boundaries, and fit within a tier, with exact answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matcher.result import SolveStatus, UnmatchedReason
from matcher.rules import Tier, tier_for

from .builders import (
    AS_OF,
    ASYLUM,
    MENTORED,
    WORKING,
    attorney,
    child,
    pairs,
    problem,
    reasons,
    solved,
)


@pytest.mark.parametrize(
    ("days", "detained", "tier"),
    [
        (-30, False, Tier.T1),
        (0, False, Tier.T1),
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
def test_tier_boundaries(days: int | None, detained: bool, tier: Tier) -> None:
    hearing = None if days is None else AS_OF + timedelta(days=days)
    assert tier_for(hearing, detained, AS_OF) is tier


def test_urgent_child_beats_a_much_better_fit() -> None:
    """One place: a T1 child with a poor fit (interpreter, mentored) over a perfect T2 fit."""
    lawyer = attorney(
        10,
        languages=(("mam", WORKING),),
        expertise=((ASYLUM, MENTORED),),
    )
    urgent = child(1, languages=("spa", "mam"), hearing_in_days=10)
    comfortable = child(2, languages=("mam",), hearing_in_days=20, age=8)
    result = solved(problem([urgent, comfortable], [lawyer]))
    assert pairs(result) == {1: 10}
    assert reasons(result) == {2: UnmatchedReason.TAKEN_BY_MORE_URGENT}
    assert result.total_fit == 15.0  # working 10 + mentored 5


def test_one_more_urgent_child_outweighs_any_gain_lower_down() -> None:
    """Without the T1 child all three T2 children would be placed; with it, one T2 child and
    most of the fit are lost, and it is still the answer."""
    a = attorney(10, languages=(("mam", WORKING),), expertise=((ASYLUM, MENTORED),))
    b = attorney(11, courts=(), remote_ok=True, states=("NY",))
    c = attorney(12, courts=(), remote_ok=True, states=("NY",))
    urgent = child(1, hearing_in_days=3)  # Spanish only: an interpreter with attorney 10
    bilingual = ("mam", "spa")
    young = [child(i, languages=bilingual, hearing_in_days=25, age=9) for i in (2, 4)]
    older = child(3, languages=bilingual, hearing_in_days=25)
    conflicts = [(1, 11), (1, 12), (4, 10), (4, 11)]
    without = solved(problem([*young, older], [a, b, c], conflicts=conflicts))
    assert without.matched_per_tier[Tier.T2] == 3
    result = solved(problem([urgent, *young, older], [a, b, c], conflicts=conflicts))
    assert result.matched_per_tier[Tier.T1] == 1
    assert result.matched_per_tier[Tier.T2] == 2
    assert pairs(result) == {1: 10, 2: 11, 4: 12}
    assert reasons(result) == {3: UnmatchedReason.TAKEN_BY_MORE_URGENT}
    # urgent: interpreter 0 + mentored 5; children 2 and 4: native 30 + expert 30 + tender 10
    assert result.total_fit == 5.0 + 70.0 + 70.0
    assert without.total_fit == 155.0


def test_past_hearing_counts_as_urgent_and_is_flagged() -> None:
    overdue = child(1, hearing_in_days=-5)
    soon = child(2, hearing_in_days=20, age=9)
    result = solved(problem([overdue, soon], [attorney(10)]))
    assert pairs(result) == {1: 10}
    assert result.proposals[0].tier is Tier.T1
    assert result.proposals[0].why.endswith("hearing date 2025-02-26 already past")


def test_within_a_tier_the_better_fit_wins() -> None:
    older = child(1, hearing_in_days=60)
    younger = child(2, hearing_in_days=80, age=9)
    result = solved(problem([older, younger], [attorney(10)]))
    assert pairs(result) == {2: 10}
    assert result.total_fit == 70.0
    assert result.proposals[0].score_parts["tender_age"] == 10.0


def test_within_a_tier_and_equal_fit_the_earlier_hearing_is_placed() -> None:
    later = child(1, hearing_in_days=80)
    earlier = child(2, hearing_in_days=40)
    result = solved(problem([later, earlier], [attorney(10)]))
    assert pairs(result) == {2: 10}
    assert result.status is SolveStatus.OPTIMAL
