"""The min-cost flow core: children -> attorneys -> sink, with an unmatched arc per child.

Children who differ in nothing the flow can see (same class, tier and tender age; no sibling
group; no conflict or refusal) are interchangeable, so they enter as one bucket node whose supply
is their number, and their class shares one node with an arc to each eligible attorney. This is
the same flow as one node per child (any integral flow splits back into single children at equal
cost) with a fraction of the arcs. Children in sibling groups or with conflicts keep their own
node and arcs. Each attorney reaches the sink through one arc per free place, of increasing cost:
the convex load-balancing cost.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from .eligibility import BoolArray, IndexArray, Instance, IntArray

# An arc field: one value per arc, or one value for the whole block.
ArcField = IntArray | np.integer[Any] | int


@dataclass(frozen=True, slots=True)
class FlowSolution:
    attorney_of: IndexArray  # attorney index per child, -1 when unmatched or not taking part
    cost: int  # the flow's optimal cost, without tie-breaks: minus (bonuses + fit)
    arcs: int
    build_s: float
    solve_s: float


class _Arcs:
    """Arc arrays collected in blocks and added to the solver in one vectorised call.

    Costs are multiplied by `scale` and the tie-break (0 or 1 per arc) subtracted: with scale
    above the largest possible tie-break total, the flow is optimal for the true costs first and,
    among those optima, takes as many tie-break arcs as it can.
    """

    def __init__(self, scale: int) -> None:
        self.blocks: list[tuple[IntArray, IntArray, IntArray, IntArray, IntArray]] = []
        self.count = 0
        self.scale = scale

    def add(
        self,
        tails: ArcField,
        heads: ArcField,
        capacities: ArcField,
        costs: ArcField,
        tie_break: ArcField = 0,
    ) -> int:
        """Adds a block; returns the index of its first arc."""
        first = self.count
        fields = (tails, heads, capacities, costs, tie_break)
        lengths = [np.size(f) for f in fields if np.ndim(f) > 0]
        n = lengths[0] if lengths else 1
        tails_, heads_, capacities_, costs_, tie_break_ = (
            np.broadcast_to(np.asarray(f, dtype=np.int64), (n,)) for f in fields
        )
        self.blocks.append((tails_, heads_, capacities_, costs_, tie_break_))
        self.count += n
        return first

    def into(self, solver: min_cost_flow.SimpleMinCostFlow) -> None:
        if not self.blocks:
            return
        tails, heads, capacities, costs, tie_break = (
            np.concatenate([block[i] for block in self.blocks]) for i in range(5)
        )
        scaled = costs * self.scale - tie_break if self.scale != 1 else costs
        solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, scaled)


def solve_flow(
    inst: Instance,
    bonus: IntArray,
    taking_part: BoolArray,
    capacity: IntArray,
    load_before: IntArray,
    prefer: Mapping[int, int] | None = None,
) -> FlowSolution:
    """Optimal assignment of the children `taking_part`, each on their own (siblings relaxed).

    capacity: places per attorney available to these children; load_before: new cases already
    given to each attorney in this run, so the load steps continue from there. prefer: child ->
    attorney; among equally good assignments, the flow gives as many of these children as it
    can their preferred attorney (used to keep siblings together where it costs nothing).
    """
    started = time.perf_counter()
    n_children = len(inst.children)
    n_attorneys = len(inst.attorneys)
    capacity = np.where(inst.available, capacity, 0)

    own_node = taking_part & (inst.group_of >= 0)
    if inst.excluded:
        own_node[list(inst.excluded)] = True
        own_node &= taking_part
    pooled = taking_part & ~own_node

    usable = [klass.attorneys[capacity[klass.attorneys] > 0] for klass in inst.classes]
    class_has_room = np.array([len(a) > 0 for a in usable], dtype=np.bool_)
    if len(inst.classes):
        pooled &= class_has_room[inst.child_class]
    pooled_children = np.flatnonzero(pooled)

    # Buckets: one node per (class, tier, tender age) of pooled children.
    bucket_key = (
        inst.child_class[pooled_children].astype(np.int64) * 10
        + inst.tier[pooled_children] * 2
        + inst.tender[pooled_children]
    )
    bucket_keys, bucket_of, bucket_sizes = np.unique(
        bucket_key, return_inverse=True, return_counts=True
    )
    bucket_class = (bucket_keys // 10).astype(np.int64)
    bucket_tier = (bucket_keys % 10) // 2
    bucket_tender = bucket_keys % 2 == 1
    own_children = np.flatnonzero(own_node)

    flow_classes = np.unique(bucket_class)
    class_node_of = np.full(len(inst.classes), -1, dtype=np.int64)
    sink = 0
    first_bucket = 1
    first_own = first_bucket + len(bucket_keys)
    first_class = first_own + len(own_children)
    class_node_of[flow_classes] = first_class + np.arange(len(flow_classes))
    first_attorney = first_class + len(flow_classes)
    n_nodes = first_attorney + n_attorneys

    prefer = prefer or {}
    arcs = _Arcs(scale=len(prefer) + 1)
    bucket_nodes = first_bucket + np.arange(len(bucket_keys), dtype=np.int64)
    tender_units = np.where(bucket_tender, int(inst.tender_units.max(initial=0)), 0)
    arcs.add(bucket_nodes, np.int64(sink), bucket_sizes, np.int64(0))
    bucket_arc = arcs.add(
        bucket_nodes,
        class_node_of[bucket_class],
        bucket_sizes,
        -(bonus[bucket_tier] + tender_units),
    )

    own_nodes = first_own + np.arange(len(own_children), dtype=np.int64)
    arcs.add(own_nodes, np.int64(sink), np.int64(1), np.int64(0))
    own_arc_child: list[IntArray] = []
    own_arc_attorney: list[IntArray] = []
    own_first = arcs.count
    for node, child in zip(own_nodes.tolist(), own_children.tolist(), strict=True):
        attorneys, fit = inst.eligible(child)
        room = capacity[attorneys] > 0
        attorneys, fit = attorneys[room], fit[room]
        arcs.add(
            np.int64(node),
            first_attorney + attorneys.astype(np.int64),
            np.int64(1),
            -(bonus[inst.tier[child]] + fit),
            attorneys == prefer.get(child, -1),
        )
        own_arc_child.append(np.full(len(attorneys), child, dtype=np.int64))
        own_arc_attorney.append(attorneys.astype(np.int64))

    pooled_per_class = np.bincount(bucket_class, weights=bucket_sizes, minlength=len(inst.classes))
    class_first = arcs.count
    class_arc_attorney: list[IntArray] = []
    for k in flow_classes.tolist():
        klass = inst.classes[k]
        room = capacity[klass.attorneys] > 0
        attorneys = klass.attorneys[room].astype(np.int64)
        arcs.add(
            np.int64(class_node_of[k]),
            first_attorney + attorneys,
            np.minimum(capacity[attorneys], int(pooled_per_class[k])),
            -klass.attorney_units[room],
        )
        class_arc_attorney.append(attorneys)

    # One arc per free place, costs increasing: the flow fills the cheap places first.
    places = np.minimum(capacity, int(taking_part.sum()))
    with_room = np.flatnonzero(places > 0)
    per = places[with_room]
    step = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
    arcs.add(
        first_attorney + np.repeat(with_room, per).astype(np.int64),
        np.int64(sink),
        np.int64(1),
        inst.load_units_per_case
        * (np.repeat(inst.current_load[with_room] + load_before[with_room], per) + step),
    )

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs.into(solver)
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[bucket_nodes] = bucket_sizes
    supplies[own_nodes] = 1
    supplies[sink] = -int(bucket_sizes.sum()) - len(own_children)
    solver.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
    built = time.perf_counter()
    status = solver.solve()
    solved = time.perf_counter()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status!r}; this is an engine bug")
    flows = solver.flows(np.arange(arcs.count, dtype=np.int64))

    attorney_of = np.full(n_children, -1, dtype=np.int32)
    if own_arc_child:
        child_of_arc = np.concatenate(own_arc_child)
        attorney_of_arc = np.concatenate(own_arc_attorney)
        used = flows[own_first : own_first + len(child_of_arc)] > 0
        attorney_of[child_of_arc[used]] = attorney_of_arc[used]

    # Pooled children: take each bucket's first `flow` children (earliest hearing, then id),
    # then hand the class's places out in order, attorneys by id.
    if len(pooled_children):
        matched_in_bucket = flows[bucket_arc : bucket_arc + len(bucket_keys)]
        order = np.lexsort((pooled_children, inst.hearing_key[pooled_children], bucket_of))
        ranked = pooled_children[order]
        rank_in_bucket = np.arange(len(order)) - np.repeat(
            np.cumsum(bucket_sizes) - bucket_sizes, bucket_sizes
        )
        chosen = ranked[rank_in_bucket < matched_in_bucket[bucket_of[order]]]
        chosen = chosen[
            np.lexsort(
                (chosen, inst.hearing_key[chosen], inst.tier[chosen], inst.child_class[chosen])
            )
        ]
        all_attorneys = np.concatenate(class_arc_attorney)
        class_flows = flows[class_first : class_first + len(all_attorneys)]
        places_given = np.repeat(all_attorneys, class_flows)
        if len(places_given) != len(chosen):
            raise RuntimeError("flow conservation broken between buckets and classes (engine bug)")
        attorney_of[chosen] = places_given
    return FlowSolution(
        attorney_of=attorney_of,
        cost=-(-int(solver.optimal_cost()) // arcs.scale),
        arcs=arcs.count,
        build_s=built - started,
        solve_s=solved - built,
    )
