"""The optimiser against brute force on small random problems (every feasible assignment).

Matched children in T1, T1-T2, T1-T3 and overall must equal the lexicographic optimum, and then
the total fit must equal it (up to the engine's rounding of each part to 1/100 point). This is
also the check of the additive tier bonuses' claim (see matcher/scoring.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import greedy_baseline, solve
from matcher.problem import MatchProblem
from matcher.result import MatchResult, SolveStatus
from matcher.rules import Tier

from .oracle import brute_force_best, check_rules, result_key
from .strategies import (
    CROWDED,
    LONERS,
    POOLED,
    VARIED,
    alike_siblings,
    problems,
    stable_problems,
)

EXAMPLES = settings(max_examples=200, deadline=None)


def fit_tolerance(problem: MatchProblem) -> float:
    """Each part of each pair is rounded to 1/100 point by the engine."""
    return 0.01 * len(problem.children) + 1e-6


def weighted(result: MatchResult, key: tuple[int, int, int, int, float]) -> float:
    """The engine's objective (tier bonuses plus fit) of an assignment with this key."""
    assert result.tier_bonus is not None
    t1, t12, t123, total, fit = key
    counts = {Tier.T1: t1, Tier.T2: t12 - t1, Tier.T3: t123 - t12, Tier.T4: total - t123}
    return sum(result.tier_bonus[tier] * counts[tier] for tier in Tier) + fit


@EXAMPLES
@given(problems(LONERS))
def test_flow_alone_equals_the_brute_force_optimum(problem: MatchProblem) -> None:
    """No sibling groups: one min-cost flow with additive tier bonuses is lexicographically
    optimal (the claim in matcher/scoring.py)."""
    result = assert_optimal(problem)
    assert set(result.timings_s) == {
        "eligibility",
        "build",
        "solve",
        "baseline",
        "explain",
        "total",
    }


@EXAMPLES
@given(problems(VARIED))
def test_solve_equals_the_brute_force_optimum(problem: MatchProblem) -> None:
    assert_optimal(problem)


@EXAMPLES
@given(
    st.one_of(
        problems(POOLED, max_children=7, max_exclusions=6),
        stable_problems(POOLED, max_children=7, max_exclusions=6),
    )
)
def test_solve_equals_the_brute_force_optimum_with_many_exclusions(problem: MatchProblem) -> None:
    """Children with conflicts and refusals share their class's pool in the flow, and its places
    are handed out around them (a swap, another child of the bucket, or a second flow with them
    on arcs of their own), with proposals to keep among them."""
    assert_optimal(problem)


@EXAMPLES
@given(problems(CROWDED))
def test_solve_equals_the_brute_force_optimum_with_crowded_sibling_groups(
    problem: MatchProblem,
) -> None:
    assert_optimal(problem)


@EXAMPLES
@given(st.one_of(problems(VARIED), problems(CROWDED)))
def test_branch_and_bound_equals_the_brute_force_optimum(problem: MatchProblem) -> None:
    """The path for larger problems (forced): repair, then branch and bound on split groups."""
    assert_optimal(problem, full_model_max_pairs=0)


@EXAMPLES
@given(alike_siblings())
def test_sibling_groups_alike_share_a_hub_and_stay_optimal(problem: MatchProblem) -> None:
    """Groups of one class and size share one hub in the flow, whose places are handed out
    group by group: the relaxation stays a relaxation, the exact model's path stays optimal,
    and branch and bound's (which may stop at its node cap here) stays valid and honest."""
    assert_optimal(problem)
    assert_valid_and_honest(problem, solve(problem, full_model_max_pairs=0))


def assert_optimal(problem: MatchProblem, **options: Any) -> MatchResult:
    result = solve(problem, **options)
    check_rules(problem, result)
    best = brute_force_best(problem)
    found = result_key(problem, result)
    assert result.status is SolveStatus.OPTIMAL
    assert found[:4] == best[:4]
    assert found[4] == pytest.approx(best[4], abs=fit_tolerance(problem))
    assert result.gap == 0.0 and result.bound == result.objective
    return result


@EXAMPLES
@given(st.one_of(problems(VARIED), problems(CROWDED)))
def test_repair_alone_is_valid_and_honest(problem: MatchProblem) -> None:
    """The repair without branch and bound (forced): never beyond the optimum, proven only when
    it is optimal, and its bound is never below the optimum."""
    result = solve(problem, full_model_max_pairs=0, branch_and_bound=False)
    assert_valid_and_honest(problem, result)


def assert_valid_and_honest(problem: MatchProblem, result: MatchResult) -> None:
    """Within the rules, never beyond the optimum, proven only when optimal, and a bound never
    below the optimum."""
    check_rules(problem, result)
    best = brute_force_best(problem)
    found = result_key(problem, result)
    tolerance = fit_tolerance(problem)
    assert found[:4] <= best[:4]
    if found[:4] == best[:4]:
        assert found[4] <= best[4] + tolerance
    if result.status is SolveStatus.OPTIMAL:
        assert found[:4] == best[:4]
        assert found[4] == pytest.approx(best[4], abs=tolerance)
    if result.bound_matched_per_tier == result.matched_per_tier:  # counts claimed proven
        assert found[:4] == best[:4]
    assert result.bound is not None and result.gap is not None and result.gap >= 0
    assert result.bound >= weighted(result, best) - tolerance
    assert result.objective == pytest.approx(weighted(result, found), abs=tolerance)


@EXAMPLES
@given(st.one_of(problems(VARIED), problems(CROWDED)))
def test_greedy_keeps_the_rules_and_never_beats_the_optimum(problem: MatchProblem) -> None:
    baseline = greedy_baseline(problem)
    check_rules(problem, baseline)
    assert baseline.status is SolveStatus.FEASIBLE and baseline.bound is None
    assert result_key(problem, baseline)[:4] <= brute_force_best(problem)[:4]
