"""The baseline the optimiser is measured against: earliest hearing first, first eligible attorney.

Children in tier order, then by hearing date (none last), then id; each takes the first eligible
attorney (by id) with a free place. A sibling group is placed when its most urgent member comes
up: on the first attorney eligible for all of them with room for the whole group, or not at all.
"""

from __future__ import annotations

import time

import numpy as np

from .eligibility import IndexArray, Instance
from .exact import group_entity
from .explain import explained_result
from .problem import MatchProblem
from .result import MatchResult, SolveStatus
from .scoring import tier_bonus


def greedy_assign(inst: Instance) -> IndexArray:
    """Attorney index per child (-1 unmatched) in the baseline's order."""
    n = len(inst.children)
    attorney_of = np.full(n, -1, dtype=np.int32)
    room = np.where(inst.available, inst.free_slots, 0)
    # Places only ever fill up, so each class's first attorney with room only moves forward.
    first_open = np.zeros(len(inst.classes), dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    for child in np.lexsort((np.arange(n), inst.hearing_key, inst.tier)).tolist():
        if done[child]:
            continue
        group = inst.group_of[child]
        if group >= 0:
            members = inst.groups[group]
            done[members] = True
            attorneys = group_entity(inst, members.tolist()).attorneys
            fits = attorneys[room[attorneys] >= len(members)]
            if len(fits):
                attorney_of[members] = fits[0]
                room[fits[0]] -= len(members)
            continue
        k = int(inst.child_class[child])
        attorneys = inst.classes[k].attorneys
        position = int(first_open[k])
        while position < len(attorneys) and room[attorneys[position]] == 0:
            position += 1
        first_open[k] = position
        excluded = inst.excluded.get(child)
        if excluded is not None:
            while position < len(attorneys) and (
                room[attorneys[position]] == 0 or attorneys[position] in excluded
            ):
                position += 1
        if position < len(attorneys):
            attorney_of[child] = attorneys[position]
            room[attorneys[position]] -= 1
    return attorney_of


def greedy_baseline(problem: MatchProblem) -> MatchResult:
    """The baseline's assignment, scored and explained like the optimiser's (no bound)."""
    started = time.perf_counter()
    inst = Instance(problem)
    bonus = tier_bonus(inst)
    timings = {"eligibility": time.perf_counter() - started}
    assign_started = time.perf_counter()
    attorney_of = greedy_assign(inst)
    timings["assign"] = time.perf_counter() - assign_started
    result = explained_result(
        inst, bonus, attorney_of, status=SolveStatus.FEASIBLE, bound=None, timings=timings
    )
    timings["total"] = time.perf_counter() - started
    return result
