"""Why a child is unmatched: progressive filters with counts, a reason, a line, the closest."""

from __future__ import annotations

from datetime import timedelta

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
