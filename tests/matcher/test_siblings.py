"""Sibling groups: the same attorney for all of them, or none of them."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from matcher.eligibility import Instance
from matcher.explain import explained_result
from matcher.problem import MatchProblem
from matcher.result import SolveStatus, UnmatchedReason
from matcher.scoring import tier_bonus

from .builders import NATIVE, NYC, attorney, child, pairs, problem, reasons, solved

# About 10 km from the NYC court: 0.5 points less fit than living at the courthouse.
TEN_KM_AWAY = (NYC.latitude + 0.09, NYC.longitude)


def test_siblings_go_together_to_the_attorney_with_room() -> None:
    siblings = [child(1, sibling_group=7), child(2, sibling_group=7)]
    result = solved(problem(siblings, [attorney(10, free=1), attorney(11, free=2)]))
    assert pairs(result) == {1: 11, 2: 11}
    assert result.total_fit == 118.0
    assert result.status is SolveStatus.OPTIMAL


def test_group_too_large_for_any_attorney_leaves_room_to_another_child() -> None:
    siblings = [child(1, sibling_group=7, hearing_in_days=5), child(2, sibling_group=7)]
    loner = child(3)
    result = solved(problem([*siblings, loner], [attorney(10), attorney(11)]))
    assert pairs(result) in ({3: 10}, {3: 11})
    assert reasons(result) == {
        1: UnmatchedReason.SIBLING_GROUP_TOO_LARGE,
        2: UnmatchedReason.SIBLING_GROUP_TOO_LARGE,
    }
    assert result.unmatched[0].detail == (
        "Sibling group of 2: none of the 2 attorneys eligible for all of them has 2 free slots."
    )
    assert result.unmatched[0].counts["sibling_group_size"] == 2


def test_siblings_without_a_common_attorney() -> None:
    siblings = [
        child(1, languages=("mam",), sibling_group=7),
        child(2, languages=("quc",), sibling_group=7),
    ]
    lawyers = [
        attorney(10, languages=(("mam", NATIVE),), free=2),
        attorney(11, languages=(("quc", NATIVE),), free=2),
    ]
    result = solved(problem(siblings, lawyers))
    assert reasons(result) == {
        1: UnmatchedReason.SIBLINGS_NO_COMMON_ATTORNEY,
        2: UnmatchedReason.SIBLINGS_NO_COMMON_ATTORNEY,
    }
    assert result.unmatched[0].detail == (
        "Sibling group of 2: no attorney is eligible for all of them."
    )


def test_a_sibling_without_any_attorney_keeps_their_own_reason() -> None:
    siblings = [
        child(1, languages=("mam",), sibling_group=7),
        child(2, languages=("spa",), sibling_group=7),
    ]
    result = solved(problem(siblings, [attorney(10, free=2, languages=(("eng", NATIVE),))]))
    assert reasons(result) == {
        1: UnmatchedReason.NO_LANGUAGE,
        2: UnmatchedReason.SIBLINGS_NO_COMMON_ATTORNEY,
    }


def test_a_more_urgent_child_takes_the_place_a_group_needed() -> None:
    urgent = child(1, hearing_in_days=2)
    siblings = [child(2, hearing_in_days=20, sibling_group=7), child(3, sibling_group=7)]
    result = solved(problem([urgent, *siblings], [attorney(10, free=2)]))
    assert pairs(result) == {1: 10}
    assert reasons(result) == {
        2: UnmatchedReason.TAKEN_BY_MORE_URGENT,
        3: UnmatchedReason.TAKEN_BY_MORE_URGENT,
    }


def _split_in_the_relaxation() -> MatchProblem:
    """Alone, the siblings would go one to each attorney (no load step, 119.5 points);
    together the best is attorney 10: 60 + 60 - 2 (second case) = 118."""
    siblings = [child(1, sibling_group=7), child(2, sibling_group=7)]
    return problem(siblings, [attorney(10, free=2), attorney(11, free=2, home=TEN_KM_AWAY)])


def test_exact_model_keeps_siblings_together_and_proves_it() -> None:
    result = solved(_split_in_the_relaxation())
    assert pairs(result) == {1: 10, 2: 10}
    assert result.total_fit == 118.0
    assert result.status is SolveStatus.OPTIMAL
    assert result.bound == result.objective and result.gap == 0.0


def test_branch_and_bound_keeps_siblings_together_and_proves_it() -> None:
    """The path for larger problems (forced here): repair, then branch and bound on the group."""
    result = solved(_split_in_the_relaxation(), full_model_max_pairs=0)
    assert pairs(result) == {1: 10, 2: 10}
    assert result.status is SolveStatus.OPTIMAL
    assert result.bound == result.objective and result.gap == 0.0


def test_repair_reports_the_gap_to_the_relaxation_honestly() -> None:
    """The repair alone finds the same answer but cannot prove it."""
    result = solved(_split_in_the_relaxation(), full_model_max_pairs=0, branch_and_bound=False)
    assert pairs(result) == {1: 10, 2: 10}
    assert result.status is SolveStatus.FEASIBLE
    assert result.bound is not None and result.gap is not None
    assert result.bound - result.objective == pytest.approx(1.5)
    assert result.gap > 0


def test_a_repair_cluster_too_large_for_cp_sat_keeps_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over REPAIR_MAX_OPTIONS the cluster is not handed to CP-SAT (the real one, counted): its
    start stands, the group together on the attorney holding most of it, then best fit."""
    solve_module = importlib.import_module("matcher.solve")
    real_solve_exact = solve_module.solve_exact
    clusters_solved: list[int] = []

    def counted(*args: object) -> object:
        clusters_solved.append(len(args[1]))  # type: ignore[arg-type]
        return real_solve_exact(*args)

    monkeypatch.setattr(solve_module, "solve_exact", counted)
    monkeypatch.setattr(solve_module, "REPAIR_MAX_OPTIONS", 1)
    kept = solved(_split_in_the_relaxation(), full_model_max_pairs=0, branch_and_bound=False)
    assert clusters_solved == []
    assert pairs(kept) == {1: 10, 2: 10}
    assert kept.status is SolveStatus.FEASIBLE

    monkeypatch.setattr(solve_module, "REPAIR_MAX_OPTIONS", 10_000)
    repaired = solved(_split_in_the_relaxation(), full_model_max_pairs=0, branch_and_bound=False)
    assert clusters_solved == [1]
    assert pairs(repaired) == {1: 10, 2: 10}


def test_time_limit_never_returns_less_than_the_greedy_baseline() -> None:
    """No time to repair the split group: the baseline's assignment (the group together on the
    first attorney with room) is better by tier counts than leaving the group out, so it is
    returned, unproven, and reported as the baseline too."""
    result = solved(_split_in_the_relaxation(), time_limit_s=0.0)
    assert pairs(result) == {1: 10, 2: 10}
    assert result.status is SolveStatus.FEASIBLE
    assert result.baseline is not None
    assert result.baseline.matched_per_tier == result.matched_per_tier
    assert result.baseline.total_fit == result.total_fit


def test_a_group_left_out_with_room_left_is_explained_as_not_placed() -> None:
    """What a run cut short says of a group it did not place although attorneys had room."""
    inst = Instance(_split_in_the_relaxation())
    nobody = np.full(len(inst.children), -1, dtype=np.int32)
    result = explained_result(
        inst,
        tier_bonus(inst),
        nobody,
        status=SolveStatus.FEASIBLE,
        bound=None,
        timings={},
    )
    assert reasons(result) == {1: UnmatchedReason.NOT_PLACED, 2: UnmatchedReason.NOT_PLACED}
    assert "the run stopped before placing the group" in result.unmatched[0].detail


def test_siblings_with_no_attorney_at_all_are_left_unmatched_together():
    kids = [child(1, sibling_group=7), child(2, sibling_group=7), child(3)]
    result = solved(problem(kids, []))
    assert result.proposals == ()
    assert {u.child_id for u in result.unmatched} == {1, 2, 3}
