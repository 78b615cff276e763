"""Branch and bound over split sibling groups, with the flow as the bound at every node.

A node fixes some groups (each on one attorney, or unmatched) and relaxes the others: that is a
pure flow again, so its optimum is the lexicographic best of everything below the node (tier
counts, then fit) and its value bounds that subtree. A node whose flow keeps every group together
is feasible. Nodes whose bound does not beat the best feasible assignment found are cut; when no
node is left open, the best found is proven optimal. Comparisons are lexicographic (T1, T2, T3, T4
matched, then fit), never through the weighted sum, which sibling groups would make unsafe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .eligibility import IndexArray, Instance, IntArray
from .rules import Tier
from .scoring import Objective, objective

Key = tuple[int, ...]
# relax(fixed) -> the flow optimum with these groups fixed and the other groups relaxed
Relax = Callable[[dict[int, int]], IndexArray]


def lexicographic(value: Objective) -> Key:
    counts = value.matched_per_tier
    return (*(counts[tier] for tier in Tier), value.fit_units)


@dataclass(frozen=True, slots=True)
class Search:
    best: IndexArray
    best_value: Objective
    proven: bool
    # no assignment better than `best` (lexicographically) has a larger weighted objective
    bound_units: int
    nodes: int


def split_groups(inst: Instance, attorney_of: IndexArray) -> list[int]:
    """Sibling groups not on one attorney together nor all unmatched."""
    return [g for g, members in enumerate(inst.groups) if len(np.unique(attorney_of[members])) > 1]


def _options(
    inst: Instance, g: int, fixed: dict[int, int], capacity: IntArray, attorney_of: IndexArray
) -> list[int]:
    """Where group g may go below a node: attorneys with room for it (where most of the group
    already is first, then best fit), and unmatched last."""
    members = inst.groups[g]
    room = capacity.copy()
    for other, attorney in fixed.items():
        if attorney >= 0:
            room[attorney] -= len(inst.groups[other])
    attorneys, fit = inst.eligible(int(members[0]))
    keep = room[attorneys] >= len(members)
    attorneys, fit = attorneys[keep], fit[keep]
    held = np.array([(attorney_of[members] == a).sum() for a in attorneys.tolist()], dtype=np.int64)
    order = np.lexsort((attorneys, -fit, -held.reshape(len(attorneys))))
    return [int(a) for a in attorneys[order]] + [-1]


def search_groups(
    inst: Instance,
    bonus: IntArray,
    relax: Relax,
    root: IndexArray,
    incumbent: IndexArray,
    *,
    max_nodes: int,
    deadline: float,
) -> Search:
    """Best assignment keeping sibling groups together, starting from the relaxation `root`
    and a feasible `incumbent`; stops after `max_nodes` relaxations, or at the deadline."""
    capacity = np.where(inst.available, inst.free_slots, 0)
    best, best_value = incumbent, objective(inst, incumbent, bonus)
    best_key = lexicographic(best_value)
    root_value = objective(inst, root, bonus)
    # open nodes: (fixed groups, the parent's bound key, the parent's bound units, its solution)
    stack: list[tuple[dict[int, int], Key, int, IndexArray]] = [
        ({}, lexicographic(root_value), root_value.units, root)
    ]
    nodes = 0
    first = True
    while stack:
        if nodes >= max_nodes or time.perf_counter() > deadline:
            break
        fixed, parent_key, _, parent = stack.pop()
        if parent_key <= best_key:
            continue
        if first:
            solution, first = root, False
        else:
            solution = relax(fixed)
            nodes += 1
        value = objective(inst, solution, bonus)
        key = lexicographic(value)
        if key <= best_key:
            continue
        split = split_groups(inst, solution)
        if not split:
            best, best_value, best_key = solution, value, key
            continue
        # Branch on the group with the fewest places to go: small trees first.
        choices = {g: _options(inst, g, fixed, capacity, solution) for g in split}
        g = min(split, key=lambda group: (len(choices[group]), group))
        for attorney in reversed(choices[g]):
            stack.append(({**fixed, g: attorney}, key, value.units, solution))
    open_units = [units for _, key, units, _ in stack if key > best_key]
    return Search(
        best=best,
        best_value=best_value,
        proven=not open_units,
        bound_units=max([best_value.units, *open_units]),
        nodes=nodes,
    )
