"""Why a child is unmatched: progressive filters with counts, a reason, a line, the closest."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import given, settings

from matcher import solve
from matcher.explain import CLOSEST_ATTORNEYS
from matcher.problem import MatchProblem
from matcher.result import UnmatchedReason

from .builders import (
    AS_OF,
    EXPERT,
    HOU,
    NATIVE,
    SIJS,
    attorney,
    child,
    problem,
    reasons,
    solved,
)
from .oracle import broken_rules
from .strategies import VARIED, problems


def test_counts_follow_the_rules_in_order() -> None:
    """Five attorneys, each failing one more rule than the last one passes."""
    leave = ((AS_OF - timedelta(days=1), AS_OF + timedelta(days=1)),)
    lawyers = [
        attorney(10, courts=(HOU,)),  # another court
        attorney(11, languages=(("eng", NATIVE),)),
        attorney(12, expertise=((SIJS, EXPERT),)),
        attorney(13, takes_detained=True, leave=leave),
        attorney(14, takes_detained=True, free=0),
    ]
    kid = child(1, languages=("mam",))
    result = solved(problem([kid], lawyers))
    assert reasons(result) == {1: UnmatchedReason.NO_LANGUAGE}
    (only,) = result.unmatched
    assert only.counts == {
        "serve_court": 4,
        "language": 0,
        "expertise": 0,
        "take_detained": 0,
        "not_on_leave": 0,
        "no_conflict": 0,
        "free_capacity": 0,
        "capacity_left_after_run": 0,
        "placed_same_or_more_urgent": 0,
        "placed_less_urgent": 0,
    }
    # Failing one rule only: 11 (language); the others fail two or more and are not listed.
    assert only.closest_attorney_ids == (11,)

    spanish = solved(problem([child(1, detained=True)], lawyers))
    assert reasons(spanish) == {1: UnmatchedReason.ALL_ELIGIBLE_FULL}
    counts = spanish.unmatched[0].counts
    assert [counts[k] for k in ("serve_court", "language", "expertise", "take_detained")] == [
        4,
        4,
        3,
        2,
    ]
    assert [counts[k] for k in ("not_on_leave", "no_conflict", "free_capacity")] == [1, 1, 0]
    # Failing one rule each, best fit first: 13 (on leave) and 14 (full) at 60 points, then 11
    # (not detained cases) at 30 with an interpreter.
    assert spanish.unmatched[0].closest_attorney_ids == (13, 14, 11)


def test_taken_by_more_urgent_children_names_how_many() -> None:
    urgent = [child(1, hearing_in_days=3), child(2, detained=False, hearing_in_days=9)]
    later = child(3, hearing_in_days=60)
    result = solved(problem([*urgent, later], [attorney(10), attorney(11)]))
    assert reasons(result) == {3: UnmatchedReason.TAKEN_BY_MORE_URGENT}
    (waiting,) = result.unmatched
    assert waiting.counts["free_capacity"] == 2
    assert waiting.counts["capacity_left_after_run"] == 0
    assert waiting.counts["placed_same_or_more_urgent"] == 2
    assert waiting.detail == (
        "The free slots of all 2 eligible attorneys went to 2 children of the same or a more "
        "urgent tier in this run."
    )
    assert waiting.closest_attorney_ids == (10, 11)


def test_details_carry_no_names_and_are_one_line() -> None:
    result = solved(problem([child(i, court=HOU) for i in (1, 2)], [attorney(10)]))
    for item in result.unmatched:
        assert item.reason is UnmatchedReason.NO_ATTORNEY_FOR_COURT
        assert item.detail == (
            "No attorney serves court HOU: none lists it, lives within travel range, or takes "
            "remote hearings in TX."
        )


# The oracle's rule names in the order of the stored filter counts (DESIGN.md, "Unmatched").
FILTER_RULES = (
    ("serve_court", "court"),
    ("language", "language"),
    ("expertise", "expertise"),
    ("take_detained", "detained"),
    ("not_on_leave", "leave"),
    ("no_conflict", "conflict"),
    ("free_capacity", "capacity"),
)


@settings(max_examples=150, deadline=None)
@given(problems(VARIED, max_children=8, max_attorneys=4, max_exclusions=4))
def test_counts_and_closest_match_the_rules_attorney_by_attorney(problem: MatchProblem) -> None:
    """Each unmatched child's counts are the attorneys passing each rule and all before it,
    checked pair by pair (conflicts and refusals are the child's own); the closest attorneys
    are those failing at most one filter, eligible ones first."""
    result = solve(problem)
    new_cases = Counter(p.attorney_id for p in result.proposals)
    children = {c.id: c for c in problem.children}
    for unmatched in result.unmatched:
        kid = children[unmatched.child_id]
        broken = {a.id: set(broken_rules(problem, kid, a)) for a in problem.attorneys}
        for depth, (count, _) in enumerate(FILTER_RULES, start=1):
            rules = {rule for _, rule in FILTER_RULES[:depth]}
            passing = [a for a in problem.attorneys if not broken[a.id] & rules]
            assert unmatched.counts[count] == len(passing), (count, unmatched)
        left = [
            a for a in problem.attorneys if not broken[a.id] and a.free_slots - new_cases[a.id] > 0
        ]
        assert unmatched.counts["capacity_left_after_run"] == len(left)
        filters_failed = {a.id: len(broken[a.id]) for a in problem.attorneys}
        near = [a.id for a in problem.attorneys if filters_failed[a.id] <= 1]
        closest = unmatched.closest_attorney_ids
        assert len(closest) == min(CLOSEST_ATTORNEYS, len(near))
        assert set(closest) <= set(near)
        failed = [filters_failed[a] for a in closest]
        assert failed == sorted(failed)
        if failed and failed[-1] == 1:
            assert all(filters_failed[a] == 1 or a in closest for a in near)
