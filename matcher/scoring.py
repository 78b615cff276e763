"""The single number both solvers optimise: a tier bonus per matched child plus the fit.

Why additive bonuses are enough (no product blow-up): without sibling groups the children that
can be matched together form a transversal matroid, so the difference between an optimal
assignment and any other decomposes into cycles of the residual flow graph, each of which brings
in at most one child and drops at most one. A cycle's fit change is at most
(2K + 2) * (max pair fit + max load step), K = min(children, capacity). With consecutive tier
bonuses separated by more than that (and the lowest bonus above it too), no cycle that raises a
higher tier at the cost of a lower one can be improving, so a min-cost flow is lexicographically
optimal: T1 count, then T2, T3, T4, then fit. The brute-force tests check this.
Sibling groups break the matroid argument; the CP-SAT model optimises tier by tier instead.

Stable proposals: keeping a previous proposal that is still eligible adds the stability bonus to
that pair's fit. It is part of the fit, so it counts in the max pair fit above: the tier bonuses
grow with it and stay lexicographic; the bonus can only choose among assignments with the same
tier counts (the keep-or-move tests and the brute-force comparisons check this).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .eligibility import UNITS_PER_POINT, IndexArray, Instance, IntArray
from .rules import Tier

# Costs are multiplied by the node count inside the cost-scaling flow algorithm; stay well clear.
_MAX_SAFE_COST = 2**62


@dataclass(frozen=True, slots=True)
class Objective:
    """An assignment's value, or (as a bound) the best value any assignment could reach."""

    units: int  # tier bonuses plus fit, in 1/100 point
    fit_units: int
    matched_per_tier: dict[Tier, int]

    def points(self) -> float:
        return self.units / UNITS_PER_POINT


def tier_bonus(inst: Instance) -> IntArray:
    """Bonus units indexed by tier number (index 0 unused): T4 = D, T3 = 2D, T2 = 3D, T1 = 4D."""
    max_pair = 0
    for klass in inst.classes:
        if len(klass.attorneys):
            max_pair = max(max_pair, int(np.abs(klass.attorney_units).max()))
    max_pair += int(inst.tender_units.max(initial=0))
    if inst.kept_from_run:
        max_pair += inst.kept_units
    capacity = np.where(inst.available, inst.free_slots, 0)
    max_load = int((inst.load_units_per_case * (inst.current_load + capacity - 1)).max(initial=0))
    matchable = min(len(inst.children), int(capacity.sum()))
    step = (2 * matchable + 2) * (max_pair + max(max_load, 0)) + 1
    bonus = np.array([0, 4 * step, 3 * step, 2 * step, step], dtype=np.int64)
    if not costs_fit(inst, bonus, scale=1):
        raise ValueError(
            "the match weights are too large for exact integer costs at this size "
            f"({len(inst.children)} children): lower the MatchSettings weights (each a few "
            "hundred points at most) and run again"
        )
    return bonus


def costs_fit(inst: Instance, bonus: IntArray, scale: int) -> bool:
    """Whether flow costs scaled by `scale` stay exact inside the cost-scaling algorithm."""
    nodes = len(inst.children) + len(inst.attorneys) + len(inst.classes) + 2
    return int(bonus[1]) * scale * (nodes + 1) < _MAX_SAFE_COST


def load_units(inst: Instance, attorney_of: IndexArray) -> IntArray:
    """Load cost units per attorney of an assignment: the sum of its convex per-case steps."""
    new_cases = np.bincount(attorney_of[attorney_of >= 0], minlength=len(inst.attorneys))
    new_cases = new_cases.astype(np.int64)
    steps = new_cases * inst.current_load + new_cases * (new_cases - 1) // 2
    result: IntArray = inst.load_units_per_case * steps
    return result


def objective(inst: Instance, attorney_of: IndexArray, bonus: IntArray) -> Objective:
    """Bonus plus fit of an assignment (attorney index per child, -1 when unmatched)."""
    matched = np.flatnonzero(attorney_of >= 0)
    fit = int(inst.pair_units(matched.astype(np.int32), attorney_of[matched]).sum())
    fit -= int(load_units(inst, attorney_of).sum())
    bonuses = int(bonus[inst.tier[matched]].sum())
    return Objective(
        units=bonuses + fit, fit_units=fit, matched_per_tier=matched_per_tier(inst, attorney_of)
    )


def matched_per_tier(inst: Instance, attorney_of: IndexArray) -> dict[Tier, int]:
    counts = np.bincount(inst.tier[attorney_of >= 0], minlength=5)
    return {tier: int(counts[tier]) for tier in Tier}


def children_per_tier(inst: Instance) -> dict[Tier, int]:
    counts = np.bincount(inst.tier, minlength=5)
    return {tier: int(counts[tier]) for tier in Tier}
