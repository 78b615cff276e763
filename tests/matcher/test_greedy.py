"""The greedy baseline: earliest hearing first, first eligible attorney (by id)."""

from __future__ import annotations

from matcher import greedy_baseline, solve
from matcher.problem import MatchProblem
from matcher.result import MatchResult, SolveStatus, UnmatchedReason
from matcher.rules import Tier

from .builders import (
    ASYLUM,
    BAL,
    MENTORED,
    NATIVE,
    WORKING,
    attorney,
    child,
    pairs,
    problem,
    reasons,
)
from .oracle import check_rules


def greedy(match_problem: MatchProblem) -> MatchResult:
    result = greedy_baseline(match_problem)
    check_rules(match_problem, result)
    return result


def test_most_urgent_first_then_earliest_hearing() -> None:
    children = [
        child(1, hearing_in_days=60),
        child(2, hearing_in_days=3),
        child(3, hearing_in_days=1),
        child(4),
    ]
    result = greedy(problem(children, [attorney(10), attorney(11)]))
    assert pairs(result) == {3: 10, 2: 11}
    assert reasons(result) == {
        1: UnmatchedReason.TAKEN_BY_MORE_URGENT,
        4: UnmatchedReason.TAKEN_BY_MORE_URGENT,
    }
    assert result.status is SolveStatus.FEASIBLE
    assert result.bound is None and result.gap is None


def test_first_eligible_attorney_whatever_the_fit() -> None:
    weak = attorney(10, languages=(("eng", NATIVE),), expertise=((ASYLUM, MENTORED),))
    strong = attorney(11)
    baseline = greedy(problem([child(1)], [weak, strong]))
    assert pairs(baseline) == {1: 10}
    assert baseline.total_fit == 5.0
    assert pairs(solve(problem([child(1)], [weak, strong]))) == {1: 11}


def test_skips_attorneys_with_a_conflict_or_elsewhere() -> None:
    lawyers = [attorney(10, courts=(BAL,)), attorney(11), attorney(12)]
    result = greedy(problem([child(1)], lawyers, conflicts=[(1, 11)]))
    assert pairs(result) == {1: 12}


def test_sibling_group_placed_together_on_the_first_attorney_with_room() -> None:
    siblings = [child(1, sibling_group=5, hearing_in_days=40), child(2, sibling_group=5)]
    loner = child(3, hearing_in_days=50)
    result = greedy(problem([*siblings, loner], [attorney(10), attorney(11, free=2)]))
    assert pairs(result) == {1: 11, 2: 11, 3: 10}


def test_sibling_group_without_room_stays_out_and_others_go_on() -> None:
    siblings = [child(1, sibling_group=5, hearing_in_days=4), child(2, sibling_group=5)]
    loner = child(3, hearing_in_days=50)
    result = greedy(problem([*siblings, loner], [attorney(10), attorney(11)]))
    assert pairs(result) == {3: 10}
    assert reasons(result)[1] is UnmatchedReason.SIBLING_GROUP_TOO_LARGE


def test_greedy_can_leave_an_urgent_child_the_optimiser_places() -> None:
    flexible = child(1, hearing_in_days=1)
    stuck = child(2, hearing_in_days=2, languages=("mam",))
    lawyers = [attorney(10, languages=(("spa", NATIVE), ("mam", WORKING))), attorney(11)]
    baseline = greedy(problem([flexible, stuck], lawyers))
    assert pairs(baseline) == {1: 10}
    assert baseline.matched_per_tier[Tier.T1] == 1
    optimal = solve(problem([flexible, stuck], lawyers))
    assert pairs(optimal) == {1: 11, 2: 10}
    assert optimal.matched_per_tier[Tier.T1] == 2
