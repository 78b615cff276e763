"""solve(problem) -> result: the flow relaxation, then sibling groups, then the explanations.

1. Min-cost flow with every child on their own (siblings relaxed, each only towards attorneys
   who could take the whole group): lexicographically optimal for that relaxation, so it bounds
   every assignment that keeps siblings together. Among its equally good optima, a few more
   flows steer split groups together (or out) at no cost.
2. If it keeps each sibling group on one attorney or leaves it whole unmatched, it is optimal.
3. Otherwise, a small problem is solved exactly with CP-SAT (tier by tier). A larger one is
   repaired: CP-SAT places each split group together or not at all among the attorneys it was
   split over and its best common attorneys, with the children on those attorneys and the best
   waiting children free to move; with every group's decision fixed, the flow then places all
   other children again (optimal given those decisions). Where a flow is cheap, branch and bound
   on the groups (matcher.branch) then looks for a better assignment or the proof that there is
   none. The result is OPTIMAL only when proven; otherwise its bound and gap say how far it may be.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence

import numpy as np

from .branch import lexicographic, search_groups, split_groups
from .eligibility import UNITS_PER_POINT, IndexArray, Instance, IntArray
from .exact import Entity, group_entity, pool_entities, solve_exact
from .explain import explained_result
from .flow import solve_flow
from .greedy import greedy_assign
from .problem import MatchProblem
from .result import Baseline, MatchResult, SolveStatus
from .scoring import costs_fit, objective, tier_bonus

# Up to this many eligible pairs, a relaxation that splits siblings is solved exactly as a whole.
FULL_MODEL_MAX_PAIRS = 20_000
# Flow re-solves that steer split siblings together among equally good assignments, at the root
# and at each branch-and-bound node.
TIE_BREAK_ROUNDS = 3
NODE_TIE_BREAK_ROUNDS = 2
# Branch and bound on split groups, where a node (a few flows) is cheap: up to this many arcs in
# the flow (demo data: 5,000 children x 1,000 attorneys take 30,000, about 0.1 s a node; 10,000 x
# 2,000 take 60,000; 20,000 x 4,000 take 200,000, 1 s a node), and this many nodes. Counts, not
# seconds, so that the same data always gives the same answer.
SEARCH_MAX_ARCS = 50_000
SEARCH_MAX_NODES = 10
# Best common attorneys (by fit) offered to each split sibling group in the repair. On the
# 250,000 demo's first night: 2 placed 18,527 T2 children, 3 18,536, 4 18,544, 6 18,547 and
# 8 18,549 (the bound 18,557), the repair taking 15, 18, 18, 20 and 26 s.
REPAIR_ATTORNEYS_PER_GROUP = 6
# A repair cluster with more (entity, attorney) options than this keeps its start (its groups
# together where `_start_together` put them), and its time goes to the others: on the 250,000
# demo's first night (three attorneys per group) CP-SAT found nothing better than the start of
# clusters of 24,892 to 161,885 options in 3-20 s each, and left clusters of 13,940 and 15,219
# options unproven after 3.5 and 11.5 s, while those under 5,000 options were proven in a second
# or two; with this cap the run placed more T2 children (18,536 against 18,524) in 15 s less.
REPAIR_MAX_OPTIONS = 10_000
# Seconds solve() may take when not told; the application always passes its own (the
# solver_time_limit_s setting, whose default this is).
DEFAULT_TIME_LIMIT_S = 120.0


def solve(
    problem: MatchProblem,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    full_model_max_pairs: int = FULL_MODEL_MAX_PAIRS,
    branch_and_bound: bool = True,
    instance: Instance | None = None,
) -> MatchResult:
    """The best proposals for `problem`: strict tier priority, then total fit.

    full_model_max_pairs: up to this many eligible pairs, split sibling groups are settled by
    the exact CP-SAT model of the whole problem; above, by the repair, then (branch_and_bound,
    when its tree looks affordable in the time left) by branch and bound on the groups.
    instance: `Instance(problem)` when the caller has built it already (a run builds it once
    for the solve and for its demand figures); built here otherwise.
    """
    started = time.perf_counter()
    deadline = started + time_limit_s
    timings: dict[str, float] = {}
    inst = instance if instance is not None and instance.problem is problem else Instance(problem)
    bonus = tier_bonus(inst)
    timings["eligibility"] = time.perf_counter() - started

    relaxed = _relaxation(inst, bonus, {}, TIE_BREAK_ROUNDS)
    timings["build"] = relaxed.build_s
    timings["solve"] = relaxed.flow_s - relaxed.build_s
    bound = objective(inst, relaxed.attorney_of, bonus)
    if bound.units != -relaxed.cost:
        raise RuntimeError("flow cost and recomputed objective differ (engine bug)")
    attorney_of = relaxed.attorney_of
    split = split_groups(inst, attorney_of)
    proven = True
    if split:
        siblings_started = time.perf_counter()
        if inst.eligible_pairs <= full_model_max_pairs:
            attorney_of, proven = _solve_whole(inst, attorney_of, split, deadline)
            if not proven:
                attorney_of = _place_others(inst, bonus, attorney_of)
        else:
            attorney_of = _place_others(inst, bonus, _repair(inst, attorney_of, split, deadline))
            proven = False
        timings["siblings"] = time.perf_counter() - siblings_started
        if not proven and branch_and_bound and relaxed.arcs <= SEARCH_MAX_ARCS:
            search_started = time.perf_counter()
            search = search_groups(
                inst,
                bonus,
                lambda fixed: _relaxation(inst, bonus, fixed, NODE_TIE_BREAK_ROUNDS).attorney_of,
                relaxed.attorney_of,
                attorney_of,
                max_nodes=SEARCH_MAX_NODES,
                deadline=deadline,
            )
            attorney_of, proven = search.best, search.proven
            bound = dataclasses.replace(bound, units=search.bound_units)
            timings["branch_and_bound"] = time.perf_counter() - search_started
    value = objective(inst, attorney_of, bonus)
    if value.units > bound.units:
        raise RuntimeError("an assignment beat its own upper bound (engine bug)")
    proven = proven or value.units == bound.units
    baseline_started = time.perf_counter()
    greedy = greedy_assign(inst)
    greedy_value = objective(inst, greedy, bonus)
    timings["baseline"] = time.perf_counter() - baseline_started
    if lexicographic(greedy_value) > lexicographic(value):
        # Only where the sibling repair ran out of time on a very large instance: never return
        # fewer urgent children than the baseline places.
        attorney_of, value, proven = greedy, greedy_value, greedy_value.units == bound.units
    baseline = Baseline(
        matched_per_tier=greedy_value.matched_per_tier,
        total_fit=greedy_value.fit_units / UNITS_PER_POINT,
        objective=greedy_value.points(),
    )
    result = explained_result(
        inst,
        bonus,
        attorney_of,
        status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
        bound=value if proven else bound,
        timings=timings,
        baseline=baseline,
    )
    timings["total"] = time.perf_counter() - started
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class Relaxation:
    attorney_of: IndexArray  # fixed groups where fixed, everyone else as the flow put them
    cost: int  # the flow's optimal cost (the fixed groups excluded)
    arcs: int  # in the first flow
    build_s: float  # building the first flow
    flow_s: float  # building and solving every flow


def _relaxation(
    inst: Instance, bonus: IntArray, fixed: Mapping[int, int], rounds: int
) -> Relaxation:
    """The flow optimum with the `fixed` groups in place (attorney, or -1 for none) and every
    other child on their own; then up to `rounds` tie-break flows that keep its value while
    steering split groups together."""
    started = time.perf_counter()
    taking_part = np.ones(len(inst.children), dtype=np.bool_)
    capacity = np.where(inst.available, inst.free_slots, 0)
    load_before = np.zeros_like(capacity)
    for g, attorney in fixed.items():
        members = inst.groups[g]
        taking_part[members] = False
        if attorney >= 0:
            capacity[attorney] -= len(members)
            load_before[attorney] += len(members)

    def placed(attorney_of: IndexArray) -> IndexArray:
        result = attorney_of.copy()
        for g, attorney in fixed.items():
            result[inst.groups[g]] = attorney
        return result

    first = solve_flow(inst, bonus, taking_part, capacity, load_before)
    attorney_of = placed(first.attorney_of)
    split = split_groups(inst, attorney_of)
    for round_number in range(rounds):
        prefer = {
            child: attorney
            for child, attorney in _preferences(inst, attorney_of, round_number).items()
            if taking_part[child]
        }
        if not split or not costs_fit(inst, bonus, len(prefer) + 1):
            break
        again = solve_flow(inst, bonus, taking_part, capacity, load_before, prefer)
        if again.cost != first.cost:
            raise RuntimeError("a tie-break changed the flow's optimal cost (engine bug)")
        steered = placed(again.attorney_of)
        split_again = split_groups(inst, steered)
        if len(split_again) <= len(split):
            attorney_of, split = steered, split_again
    return Relaxation(
        attorney_of, first.cost, first.arcs, first.build_s, time.perf_counter() - started
    )


def _preferences(inst: Instance, attorney_of: IndexArray, round_number: int) -> dict[int, int]:
    """What each sibling should get, all members alike: a group together stays as it is; a split
    group is steered to one of the places its members are (an attorney or none), the one holding
    most of them first, then (later rounds) the others in turn."""
    prefer: dict[int, int] = {}
    for members in inst.groups:
        where, held = np.unique(attorney_of[members], return_counts=True)
        # -1 (unplaced) has no free slots; it must not index them (no attorney at all: empty)
        slots = inst.free_slots[np.maximum(where, 0)] if len(inst.attorneys) else 0 * where
        order = np.lexsort((where, -np.where(where >= 0, slots, 0), -held))
        choice = int(where[order[round_number % len(where) if len(where) > 1 else 0]])
        prefer.update(dict.fromkeys(members.tolist(), choice))
    return prefer


def _solve_whole(
    inst: Instance, relaxed: IndexArray, split: list[int], deadline: float
) -> tuple[IndexArray, bool]:
    """The exact model over every child, starting from the relaxation with split groups out."""
    start = relaxed.copy()
    for g in split:
        start[inst.groups[g]] = -1
    children = list(range(len(inst.children)))
    entities = _entities(inst, children, dict.fromkeys(children, 0))
    capacity = np.where(inst.available, inst.free_slots, 0)
    solution = solve_exact(inst, entities, capacity, np.zeros_like(capacity), start, deadline)
    attorney_of = np.full(len(inst.children), -1, dtype=np.int32)
    for entity, placement in zip(entities, solution.placements, strict=True):
        entity.apply(placement, attorney_of)
    return attorney_of, solution.proven


def _entities(inst: Instance, children: Sequence[int], home: Mapping[int, int]) -> list[Entity]:
    """Sibling groups as one entity each; the other children pooled by class, tier, tender age
    and `home` (the part of the model a child may move in)."""
    groups = sorted({int(inst.group_of[c]) for c in children if inst.group_of[c] >= 0})
    loners = [c for c in children if inst.group_of[c] < 0]
    entities = [group_entity(inst, inst.groups[g].tolist()) for g in groups]
    return entities + pool_entities(inst, loners, [home[c] for c in loners])


def _repair(inst: Instance, relaxed: IndexArray, split: list[int], deadline: float) -> IndexArray:
    """Decides every split group with CP-SAT on the neighbourhood of its attorneys."""
    capacity = np.where(inst.available, inst.free_slots, 0)
    current = relaxed.copy()
    for g in split:
        current[inst.groups[g]] = -1

    # The attorneys each split group may use, and clusters of groups sharing attorneys.
    offered: list[set[int]] = []
    preferred: list[list[int]] = []  # the same, where most of the group is first, then by fit
    for g in split:
        members = inst.groups[g]
        entity = group_entity(inst, members.tolist())
        roomy = capacity[entity.attorneys] >= len(members)
        attorneys, fit = entity.attorneys[roomy], entity.fit_units[roomy]
        best = np.lexsort((attorneys, -fit))[:REPAIR_ATTORNEYS_PER_GROUP]
        used = relaxed[members]
        offered.append(set(attorneys[best].tolist()) | set(used[used >= 0].tolist()))
        held = np.bincount(used[used >= 0], minlength=len(inst.attorneys))
        fit_of = dict(zip(attorneys.tolist(), fit.tolist(), strict=True))
        preferred.append(
            sorted(
                (a for a in offered[-1] if a in fit_of),
                key=lambda a: (-int(held[a]), -fit_of[a], a),
            )
        )
    _start_together(inst, current, split, preferred, capacity)
    cluster_of_attorney = _clusters(offered)
    neighbourhood = np.array(sorted(cluster_of_attorney), dtype=np.int32)
    cluster = np.full(len(inst.attorneys), -1, dtype=np.int64)
    cluster[neighbourhood] = [cluster_of_attorney[a] for a in neighbourhood.tolist()]

    # Children: split groups, everyone on a neighbourhood attorney, and the best waiting
    # children eligible there (who can take places a group leaves). Each may move only within
    # its cluster.
    home: dict[int, int] = {}
    for g, group_attorneys in zip(split, offered, strict=True):
        for child in inst.groups[g].tolist():
            home[child] = int(cluster[min(group_attorneys)])
    for child in np.flatnonzero(np.isin(current, neighbourhood)).tolist():
        home[child] = int(cluster[current[child]])
    for child, attorney in _best_waiting(inst, current, neighbourhood, capacity).items():
        home[child] = int(cluster[attorney])
    by_cluster: dict[int, list[Entity]] = {}
    for entity in _entities(inst, sorted(home), home):
        where = home[entity.children[0]]
        by_cluster.setdefault(where, []).append(
            entity.restricted(cluster[entity.attorneys] == where)
        )
    # Clusters share no attorney and no child: each is its own small model. One too large for
    # CP-SAT keeps its start (REPAIR_MAX_OPTIONS), and the others share the time.
    solvable = [
        where
        for where in sorted(by_cluster)
        if sum(len(entity.attorneys) for entity in by_cluster[where]) <= REPAIR_MAX_OPTIONS
    ]
    for done, where in enumerate(solvable):
        share = (deadline - time.perf_counter()) / (len(solvable) - done)
        entities = by_cluster[where]
        solution = solve_exact(
            inst, entities, capacity, np.zeros_like(capacity), current, time.perf_counter() + share
        )
        for entity, placement in zip(entities, solution.placements, strict=True):
            entity.apply(placement, current)
    return current


def _start_together(
    inst: Instance,
    current: IndexArray,
    split: list[int],
    preferred: list[list[int]],
    capacity: IntArray,
) -> None:
    """A better start for the repair than leaving every split group out: each group, most
    urgent first, goes together onto the first of its `preferred` attorneys with room, making
    room by unplacing that attorney's least urgent children outside groups, but only children
    no more urgent than every member of the group (so no tier count drops there; the flow that
    follows re-places them where it can). CP-SAT starts from this and keeps it if it finds
    nothing better in its time; a group that fits nowhere stays out. Changes `current`."""
    wanted = sorted({a for attorneys in preferred for a in attorneys})
    on: dict[int, list[int]] = {a: [] for a in wanted}
    for child in np.flatnonzero(np.isin(current, wanted)).tolist():
        on[int(current[child])].append(child)
    # least urgent last: tier, then latest hearing, then lowest tender bonus, then id
    urgency = {
        a: sorted(
            children,
            key=lambda c: (int(inst.tier[c]), int(inst.hearing_key[c]), -int(inst.tender[c]), c),
        )
        for a, children in on.items()
    }
    order = sorted(
        range(len(split)),
        key=lambda i: (
            int(inst.tier[inst.groups[split[i]]].min()),
            int(inst.hearing_key[inst.groups[split[i]]].min()),
            split[i],
        ),
    )
    for i in order:
        members = inst.groups[split[i]]
        least_urgent_member = int(inst.tier[members].max())
        for attorney in preferred[i]:
            taking = urgency[attorney]
            short = len(members) - (int(capacity[attorney]) - len(taking))
            movable = [c for c in taking if inst.group_of[c] < 0]
            out = movable[len(movable) - short :] if short > 0 else []
            if len(out) < short or any(int(inst.tier[c]) < least_urgent_member for c in out):
                continue
            for child in out:
                current[child] = -1
                taking.remove(child)
            current[members] = attorney
            taking.extend(members.tolist())  # groups are never unplaced again here
            break


def _clusters(offered: list[set[int]]) -> dict[int, int]:
    """Attorney -> cluster id, joining groups that share an attorney (union-find)."""
    parent = list(range(len(offered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for g, attorneys in enumerate(offered):
        for attorney in sorted(attorneys):
            if attorney in owner:
                parent[root(g)] = root(owner[attorney])
            else:
                owner[attorney] = g
    return {attorney: root(g) for attorney, g in owner.items()}


def _best_waiting(
    inst: Instance, current: IndexArray, neighbourhood: IndexArray, capacity: IntArray
) -> dict[int, int]:
    """For each neighbourhood attorney, the most urgent unmatched children (not in a sibling
    group) eligible for them, as many as the attorney has places: child -> attorney."""
    waiting = np.flatnonzero((current < 0) & (inst.group_of < 0))
    if not len(waiting) or not len(neighbourhood):
        return {}
    order = np.lexsort(
        (waiting, inst.hearing_key[waiting], ~inst.tender[waiting], inst.tier[waiting])
    )
    waiting = waiting[order]
    queue_of_class: dict[int, list[int]] = {}
    for child in waiting.tolist():
        queue_of_class.setdefault(int(inst.child_class[child]), []).append(child)
    classes_of_attorney: dict[int, list[int]] = {}
    for k in sorted(queue_of_class):
        for attorney in np.intersect1d(inst.classes[k].attorneys, neighbourhood).tolist():
            classes_of_attorney.setdefault(attorney, []).append(k)
    rank = {child: i for i, child in enumerate(waiting.tolist())}
    front = dict.fromkeys(queue_of_class, 0)  # taken children form a prefix of each queue
    taken: dict[int, int] = {}
    for attorney in neighbourhood.tolist():
        places = int(capacity[attorney])
        candidates: list[int] = []
        for k in classes_of_attorney.get(attorney, []):
            queue = queue_of_class[k]
            while front[k] < len(queue) and queue[front[k]] in taken:
                front[k] += 1
            fresh = (c for c in queue[front[k] :] if c not in taken)
            candidates.extend(itertools.islice(fresh, places))
        for child in sorted(candidates, key=rank.__getitem__)[:places]:
            if attorney not in inst.excluded.get(child, ()):
                taken[child] = attorney
    return taken


def _place_others(inst: Instance, bonus: IntArray, attorney_of: IndexArray) -> IndexArray:
    """Keeps each sibling group's decision and places every other child optimally around them."""
    decisions = {g: int(attorney_of[members[0]]) for g, members in enumerate(inst.groups)}
    return _relaxation(inst, bonus, decisions, rounds=0).attorney_of
