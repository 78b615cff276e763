"""The flow's pools with conflicts and refusals: a child with an exclusion shares its class's
pool, and the pool's places are handed out around the exclusion at no cost (matcher/flow.py)."""

from __future__ import annotations

import numpy as np

from matcher.branch import split_groups
from matcher.eligibility import Instance
from matcher.flow import solve_flow
from matcher.problem import MatchProblem
from matcher.result import UnmatchedReason
from matcher.scoring import tier_bonus

from .builders import BAL, attorney, child, pairs, problem, reasons, solved


def flows_solved(match_problem: MatchProblem) -> int:
    """How many flows the relaxation of `match_problem` took (1: the pool's places were handed
    out around every exclusion)."""
    inst = Instance(match_problem)
    everyone = np.ones(len(inst.children), dtype=np.bool_)
    capacity = inst.free_slots.copy()
    return solve_flow(inst, tier_bonus(inst), everyone, capacity, np.zeros_like(capacity)).solves


def test_a_swap_within_the_class_gives_each_child_an_allowed_place() -> None:
    # 10 is the better attorney (at the court), 11 lives in Baltimore; child 1 has a conflict
    # with 10, so 1 takes 11 and 2 takes 10.
    match_problem = problem(
        [child(1, hearing_in_days=20), child(2, hearing_in_days=25)],
        [attorney(10), attorney(11, home=BAL, radius_km=400.0)],
        conflicts=[(1, 10)],
    )
    assert pairs(solved(match_problem)) == {1: 11, 2: 10}
    assert flows_solved(match_problem) == 1


def test_another_child_of_the_same_bucket_is_matched_instead() -> None:
    # One place; child 1 (earlier hearing, same tier) refused attorney 10 before: child 2 has it.
    match_problem = problem(
        [child(1, hearing_in_days=100), child(2, hearing_in_days=110)],
        [attorney(10)],
        refused=[(1, 10)],
    )
    result = solved(match_problem)
    assert pairs(result) == {2: 10}
    assert reasons(result)[1] is UnmatchedReason.CONFLICTS_OR_REFUSED
    assert flows_solved(match_problem) == 1


def test_a_child_alone_in_its_bucket_gets_its_own_arcs() -> None:
    match_problem = problem(
        [child(1, hearing_in_days=20)],
        [attorney(10), attorney(11, home=BAL, radius_km=400.0)],
        conflicts=[(1, 10)],
    )
    assert pairs(solved(match_problem)) == {1: 11}
    assert flows_solved(match_problem) == 1


def test_places_no_swap_can_hand_out_are_solved_again_with_own_arcs() -> None:
    # Both children of the bucket have a conflict with the only attorney, who has two places:
    # the pooled flow sends both places there; no swap and nobody else can take them, so the
    # flow is solved again with the two on their own arcs, and both stay unmatched.
    match_problem = problem(
        [child(1), child(2)], [attorney(10, free=2)], conflicts=[(1, 10), (2, 10)]
    )
    result = solved(match_problem)
    assert pairs(result) == {}
    assert set(reasons(result).values()) == {UnmatchedReason.CONFLICTS_OR_REFUSED}
    assert flows_solved(match_problem) == 2


def first_flow(match_problem: MatchProblem) -> tuple[Instance, np.ndarray]:
    """The relaxation's first flow (no tie-break rounds): attorney index per child."""
    inst = Instance(match_problem)
    everyone = np.ones(len(inst.children), dtype=np.bool_)
    capacity = inst.free_slots.copy()
    solution = solve_flow(inst, tier_bonus(inst), everyone, capacity, np.zeros_like(capacity))
    return inst, solution.attorney_of


def test_groups_of_one_class_and_size_share_a_hub_whose_places_go_to_whole_groups() -> None:
    """Three pairs of siblings alike (class, size, tier, age) and two attorneys with two places:
    the flow cannot tell the six children apart, and the shared hub's places go to two whole
    groups (the most urgent), the third left out whole, with no repair needed."""
    kids = [
        child(10 * g + k, hearing_in_days=20 + g, sibling_group=g)
        for g in (1, 2, 3)
        for k in (1, 2)
    ]
    match_problem = problem(kids, [attorney(100, free=2), attorney(101, free=2)])
    inst, attorney_of = first_flow(match_problem)

    assert split_groups(inst, attorney_of) == []
    result = solved(match_problem)
    together = pairs(result)
    assert set(together) == {11, 12, 21, 22}
    assert together[11] == together[12] != together[21] == together[22]
    assert "siblings" not in result.timings_s


def test_a_shared_hub_completes_groups_from_members_alike_before_splitting_one() -> None:
    """Three places for two pairs alike: one pair whole, one member of the other (the flow's
    optimum splits a group here whatever the decomposition; the repair then settles it)."""
    kids = [child(10 * g + k, sibling_group=g) for g in (1, 2) for k in (1, 2)]
    match_problem = problem(kids, [attorney(100, free=3)])
    inst, attorney_of = first_flow(match_problem)

    placed = {inst.children[c].id for c in np.flatnonzero(attorney_of >= 0).tolist()}
    assert {11, 12} <= placed and len(placed) == 3
    assert [len(inst.groups[g]) for g in split_groups(inst, attorney_of)] == [2]
    result = solved(match_problem)
    assert set(pairs(result)) in ({11, 12}, {21, 22})
