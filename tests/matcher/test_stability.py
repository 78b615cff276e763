"""Stable proposals: the previous run's proposals are kept where it costs no child and little fit.

Hand-built cases with exact answers (kept when free, moved when keeping costs a child of a higher
tier, another child, or more fit than the bonus, never kept when no longer eligible), then
hypothesis: the tier counts with the bonus always equal those without, and the optimum with the
bonus equals brute force (the oracle adds the bonus to kept pairs and checks every rule).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import solve
from matcher.problem import MatchProblem, PreviousProposal
from matcher.result import MatchResult, SolveStatus, UnmatchedReason

from .builders import AS_OF, WORKING, attorney, child, pairs, problem, reasons, solved
from .oracle import brute_force_best, check_rules, result_key
from .strategies import CROWDED, LONERS, VARIED, stable_problems

EXAMPLES = settings(max_examples=150, deadline=None)


def keeping(
    base: MatchProblem, previous: dict[int, int], bonus: float = 5.0, run_id: int = 7
) -> MatchProblem:
    """`base` with the previous run's proposals (child id -> attorney id) and the bonus."""
    return dataclasses.replace(
        base,
        previous=tuple(PreviousProposal(c, a, run_id) for c, a in sorted(previous.items())),
        stability_bonus=bonus,
    )


def proposal_of(result: MatchResult, child_id: int) -> dict[str, object]:
    found = next(p for p in result.proposals if p.child_id == child_id)
    return {"parts": dict(found.score_parts), "why": found.why, "score": found.score}


def fit_without_bonus(result: MatchResult) -> float:
    return sum(p.score - p.score_parts.get("kept", 0.0) for p in result.proposals)


# -- kept when it is free ---------------------------------------------------------------------


def test_a_proposal_that_costs_nothing_is_kept() -> None:
    """Two equal attorneys: without the bonus the engine's own order decides; with it, the
    previous run's (swapped) proposals stay, at the same fit."""
    base = problem([child(1), child(2)], [attorney(10), attorney(11)])
    fresh = solved(base)
    assert pairs(fresh) == {1: 10, 2: 11}
    kept = solved(keeping(base, {1: 11, 2: 10}))
    assert pairs(kept) == {1: 11, 2: 10}
    assert kept.status is SolveStatus.OPTIMAL
    assert fit_without_bonus(kept) == fresh.total_fit == 120.0
    assert kept.total_fit == 130.0  # 60 + 60 fit, 5 + 5 for keeping
    first = proposal_of(kept, 1)
    assert first["parts"] == {
        "language": 30.0,
        "expertise": 30.0,
        "distance": 0.0,
        "tender_age": 0.0,
        "load": 0.0,
        "kept": 5.0,
    }
    assert first["score"] == 65.0
    assert str(first["why"]).endswith("; kept from run 7")


def test_a_sibling_group_keeps_its_attorney() -> None:
    base = problem(
        [child(1, sibling_group=5), child(2, sibling_group=5)],
        [attorney(10, free=2), attorney(11, free=2)],
    )
    assert pairs(solved(base)) == {1: 11, 2: 11}
    assert pairs(solved(keeping(base, {1: 10, 2: 10}))) == {1: 10, 2: 10}
    assert pairs(solved(keeping(base, {1: 10, 2: 10}), full_model_max_pairs=0)) == {1: 10, 2: 10}


def test_each_kept_proposal_names_the_run_that_made_it() -> None:
    base = problem([child(1), child(2)], [attorney(10), attorney(11)])
    previous = (PreviousProposal(1, 11, 3), PreviousProposal(2, 10, 8))
    result = solved(dataclasses.replace(base, previous=previous, stability_bonus=5.0))
    assert str(proposal_of(result, 1)["why"]).endswith("kept from run 3")
    assert str(proposal_of(result, 2)["why"]).endswith("kept from run 8")


# -- not kept at the cost of a child ----------------------------------------------------------


def test_keeping_never_costs_a_child_in_a_higher_tier() -> None:
    """One place, held by a T4 child's proposal; a T1 child arrives: the T1 child takes it,
    whatever the bonus."""
    base = problem([child(1), child(2, hearing_in_days=5)], [attorney(10)])
    result = solved(keeping(base, {1: 10}, bonus=100.0))
    assert pairs(result) == {2: 10}
    assert reasons(result) == {1: UnmatchedReason.TAKEN_BY_MORE_URGENT}


def test_keeping_never_costs_another_child_of_the_same_tier() -> None:
    """Child 1 can go to either attorney, child 2 only to attorney 10: keeping child 1 on 10
    would leave child 2 out, so child 1 moves."""
    only_spanish = attorney(11, languages=(("spa", WORKING),))
    base = problem(
        [child(1), child(2, languages=("mam",))],
        [attorney(10, languages=(("spa", WORKING), ("mam", WORKING))), only_spanish],
    )
    result = solved(keeping(base, {1: 10}, bonus=100.0))
    assert pairs(result) == {1: 11, 2: 10}
    assert "kept" not in proposal_of(result, 1)["parts"]


# -- not kept when it costs more fit than the bonus -------------------------------------------


@pytest.mark.parametrize(("bonus", "attorney_id"), [(5.0, 10), (19.0, 10), (21.0, 11)])
def test_a_proposal_is_kept_only_while_the_better_fit_is_worth_less_than_the_bonus(
    bonus: float, attorney_id: int
) -> None:
    """Attorney 10 fits the child 20 points better (native 30 against working 10) than its
    previous attorney 11: it moves unless the bonus is worth more than those 20 points."""
    base = problem([child(1)], [attorney(10), attorney(11, languages=(("spa", WORKING),))])
    result = solved(keeping(base, {1: 11}, bonus=bonus))
    assert pairs(result) == {1: attorney_id}
    assert ("kept" in proposal_of(result, 1)["parts"]) is (attorney_id == 11)


# -- only eligible pairs are kept -------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    ["conflict", "refused", "leave", "no_free_place", "court"],
)
def test_a_pair_no_longer_eligible_is_never_kept(change: str) -> None:
    previous_attorney = {
        "leave": attorney(11, leave=((AS_OF - timedelta(days=1), AS_OF + timedelta(days=3)),)),
        "no_free_place": attorney(11, free=0),
        "court": attorney(11, courts=()),
    }.get(change, attorney(11))
    base = problem(
        [child(1)],
        [attorney(10, languages=(("spa", WORKING),)), previous_attorney],
        conflicts=[(1, 11)] if change == "conflict" else [],
        refused=[(1, 11)] if change == "refused" else [],
    )
    result = solved(keeping(base, {1: 11}, bonus=100.0))
    assert pairs(result) == {1: 10}
    assert "kept" not in proposal_of(result, 1)["parts"]
    assert "kept from run" not in str(proposal_of(result, 1)["why"])


def test_a_bonus_of_zero_keeps_nothing() -> None:
    base = problem([child(1), child(2)], [attorney(10), attorney(11)])
    result = solved(keeping(base, {1: 11, 2: 10}, bonus=0.0))
    assert pairs(result) == {1: 10, 2: 11}
    assert all("kept" not in p.score_parts for p in result.proposals)


def test_previous_proposals_of_children_or_attorneys_not_in_the_problem_are_ignored() -> None:
    base = problem([child(1)], [attorney(10)])
    result = solved(keeping(base, {1: 99, 2: 10}))
    assert pairs(result) == {1: 10}
    assert "kept" not in proposal_of(result, 1)["parts"]


@pytest.mark.parametrize("bonus", [-1.0, float("nan"), float("inf")])
def test_a_bonus_must_be_finite_and_not_negative(bonus: float) -> None:
    with pytest.raises(ValueError, match="stability_bonus is"):
        keeping(problem([child(1)], [attorney(10)]), {}, bonus=bonus)


def test_a_child_awaits_review_on_one_proposal_at_most() -> None:
    with pytest.raises(ValueError, match="child 1 has two proposals"):
        dataclasses.replace(
            problem([child(1)], [attorney(10), attorney(11)]),
            previous=(PreviousProposal(1, 10, 1), PreviousProposal(1, 11, 2)),
        )


# -- properties ---------------------------------------------------------------------------------


def _without_bonus(problem_: MatchProblem) -> MatchProblem:
    return dataclasses.replace(problem_, previous=(), stability_bonus=0.0)


@EXAMPLES
@given(st.one_of(stable_problems(LONERS), stable_problems(VARIED), stable_problems(CROWDED)))
def test_the_bonus_never_changes_the_tier_counts(problem_: MatchProblem) -> None:
    with_bonus = solve(problem_)
    without = solve(_without_bonus(problem_))
    check_rules(problem_, with_bonus)  # every proposal eligible: the bonus keeps no other pair
    assert with_bonus.matched_per_tier == without.matched_per_tier
    # Among those tier counts, the bonus buys stability with at most its own worth per kept pair.
    kept = sum(1 for p in with_bonus.proposals if "kept" in p.score_parts)
    assert fit_without_bonus(with_bonus) >= (
        without.total_fit - kept * problem_.stability_bonus - 0.01 * len(problem_.children)
    )


@EXAMPLES
@given(st.one_of(stable_problems(VARIED), stable_problems(CROWDED)))
def test_solve_with_the_bonus_equals_the_brute_force_optimum(problem_: MatchProblem) -> None:
    for options in ({}, {"full_model_max_pairs": 0}):
        result = solve(problem_, **options)
        check_rules(problem_, result)
        best = brute_force_best(problem_)
        found = result_key(problem_, result)
        assert result.status is SolveStatus.OPTIMAL
        assert found[:4] == best[:4]
        assert found[4] == pytest.approx(best[4], abs=0.01 * len(problem_.children) + 1e-6)
