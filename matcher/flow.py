"""The min-cost flow core: children -> attorneys -> sink, with an unmatched arc per child.

Children who differ in nothing the flow can see (same eligibility and fit, tier and tender age;
no sibling group; no proposal to keep) are interchangeable, so they enter as one bucket node whose
supply is their number, and their class shares one node with an arc to each eligible attorney. This
is the same flow as one node per child (any integral flow splits back into single children at equal
cost) with a fraction of the arcs. A child whose only difference is a proposal to keep enters its
class's node as a bucket of one, with one more arc straight to its kept attorney carrying the
bonus. A child with a conflict or a refusal joins its bucket too: its class's places are handed out
around its exclusions (a swap with another child of the class, or matching instead another child
of the bucket, costs nothing); only where neither can is the flow solved again with that child on
its own arcs. A sibling group whose members share a class
gets one hub node with the group's arcs to attorneys (unless a member has a proposal to keep or an
exclusion); other siblings keep their own arcs. Each attorney reaches the sink through one arc per
free place, of increasing cost: the convex load-balancing cost.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from .eligibility import BoolArray, IndexArray, Instance, IntArray

NO_PREFERENCE = -2
# An arc field: one value per arc, or one value for the whole block.
ArcField = IntArray | np.integer[Any] | int
# Writes the attorneys of one part of the flow into attorney_of, given every arc's flow.
Reader = Callable[[IntArray, IndexArray], None]


@dataclass(frozen=True, slots=True)
class FlowSolution:
    attorney_of: IndexArray  # attorney index per child, -1 when unmatched or not taking part
    cost: int  # the flow's optimal cost, without tie-breaks: minus (bonuses + fit)
    arcs: int
    build_s: float
    solve_s: float
    solves: int  # 2 where the places could not all be handed out around exclusions


class _Arcs:
    """Arc arrays collected in blocks and added to the solver block by block, in order.

    Costs are multiplied by `scale` and the tie-break (0 or 1 per arc) subtracted: with scale
    above the largest possible tie-break total, the flow is optimal for the true costs first and,
    among those optima, takes as many tie-break arcs as it can. Blocks keep their arrays as
    given (a single value stays one value) until the solver takes them: at 250,000 children the
    arcs are tens of millions, and one int64 copy of them all is hundreds of MB.
    """

    def __init__(self, scale: int) -> None:
        self.blocks: list[tuple[int, tuple[ArcField, ...]]] = []
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
        if any(length != n for length in lengths):
            raise ValueError(f"an arc block's fields have lengths {lengths}")
        self.blocks.append((n, fields))
        self.count += n
        return first

    def into(self, solver: min_cost_flow.SimpleMinCostFlow) -> None:
        """Adds every block to the solver (arc indices in the order added), then forgets them."""
        for n, fields in self.blocks:
            tails, heads, capacities, costs, tie_break = (
                np.ascontiguousarray(np.broadcast_to(np.asarray(f, dtype=np.int64), (n,)))
                for f in fields
            )
            scaled = costs * self.scale - tie_break if self.scale != 1 else costs
            solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, scaled)
        self.blocks = []


def _hand_out(
    children: IndexArray, attorneys: IndexArray | IntArray, flows: IntArray
) -> IndexArray:
    """Attorney per child when `children` (in order) take the places `flows` gives each of
    `attorneys` (in order)."""
    places = np.repeat(attorneys, flows)
    if len(places) != len(children):
        raise RuntimeError("flow conservation broken between children and places (engine bug)")
    return places.astype(np.int32)


def _unpool(
    inst: Instance,
    members: IndexArray,
    entered: BoolArray,
    attorneys: IndexArray,
    given: IntArray,
) -> tuple[IndexArray, IndexArray]:
    """The children of a hub's members who take its places, and their attorneys: `given[i]`
    places on `attorneys[i]`, for as many members of each tier and tender age as the flow
    matched (`entered`); members alike in both are interchangeable, so whole groups take them
    first (most urgent first), then members of the other groups. Each group goes onto the
    attorney with the fewest places that hold it whole, else across those with most places.
    A hub of one group gives its matched members (by tier, hearing, id) the places in attorney
    order."""
    group_of = inst.group_of[members]
    if (group_of == group_of[0]).all():
        matched = members[entered]
        matched = matched[np.lexsort((matched, inst.hearing_key[matched], inst.tier[matched]))]
        return matched, _hand_out(matched, attorneys, given)
    kind = (inst.tier[members] * 2 + inst.tender[members]).tolist()
    left = Counter(kind[i] for i in np.flatnonzero(entered).tolist())
    positions: dict[int, list[int]] = {}
    for i, g in enumerate(group_of.tolist()):
        positions.setdefault(g, []).append(i)
    urgency = {
        g: sorted(
            at,
            key=lambda i: (
                int(inst.tier[members[i]]),
                int(inst.hearing_key[members[i]]),
                int(members[i]),
            ),
        )
        for g, at in positions.items()
    }
    order = sorted(
        urgency,
        key=lambda g: (
            int(inst.tier[members[urgency[g][0]]]),
            int(inst.hearing_key[members[urgency[g][0]]]),
            g,
        ),
    )
    parts: list[list[int]] = []
    rest: list[int] = []
    for g in order:
        need = Counter(kind[i] for i in urgency[g])
        if all(left[k] >= n for k, n in need.items()):
            left -= need
            parts.append([int(members[i]) for i in urgency[g]])
        else:
            rest.append(g)
    for g in rest:
        part = []
        for i in urgency[g]:
            if left[kind[i]] > 0:
                left[kind[i]] -= 1
                part.append(int(members[i]))
        if part:
            parts.append(part)
    room = dict(zip(attorneys.tolist(), given.tolist(), strict=True))
    chosen: list[int] = []
    places: list[int] = []
    for part in sorted(parts, key=len, reverse=True):  # stable: urgency order within a size
        holding = [a for a, free in room.items() if free >= len(part)]
        if holding:
            attorney = min(holding, key=lambda a: (room[a], a))
            room[attorney] -= len(part)
            chosen += part
            places += [attorney] * len(part)
            continue
        for child in part:
            attorney = min((a for a in room if room[a] > 0), key=lambda a: (-room[a], a))
            room[attorney] -= 1
            chosen.append(child)
            places.append(attorney)
    if any(room.values()) or len(chosen) != int(entered.sum()):
        raise RuntimeError("flow conservation broken in a shared sibling hub (engine bug)")
    return np.array(chosen, dtype=np.int32), np.array(places, dtype=np.int32)


def _excluded_pairs(
    inst: Instance, children: IndexArray, attorneys: IndexArray | IntArray
) -> BoolArray:
    """Whether each (children[i], attorneys[i]) is a conflict or a refusal."""
    result = np.zeros(len(children), dtype=np.bool_)
    if inst.excluded:
        for i, (child, attorney) in enumerate(
            zip(children.tolist(), attorneys.tolist(), strict=True)
        ):
            banned = inst.excluded.get(child)
            result[i] = banned is not None and attorney in banned
    return result


def _bucket_keys(inst: Instance, children: IndexArray) -> IntArray:
    """The bucket of each pooled child: flow profile * 10 + tier * 2 + tender age."""
    key = inst.flow_profile_of_class[inst.child_class[children]].astype(np.int64) * 10
    key += inst.tier[children] * 2 + inst.tender[children]
    return key


def _alone_with_exclusions(inst: Instance, loners: BoolArray) -> BoolArray:
    """Children with a conflict or a refusal whose pool's places might not be handed out
    around it: nobody else in their bucket to match instead. They take arcs of their own."""
    result = np.zeros(len(inst.children), dtype=np.bool_)
    if not inst.excluded:
        return result
    excluded = np.array(sorted(inst.excluded), dtype=np.int32)
    excluded = excluded[loners[excluded]]
    everyone = _bucket_keys(inst, np.flatnonzero(loners).astype(np.int32))
    keys, sizes = np.unique(everyone, return_counts=True)
    wanted = _bucket_keys(inst, excluded)
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    others = np.where(keys[at] == wanted, sizes[at], 0) if len(keys) else 0 * wanted
    others -= 1  # not counting the child itself
    result[excluded[others == 0]] = True
    return result


def _around_exclusions(
    inst: Instance,
    chosen: IndexArray,
    places: IndexArray,
    profile: IntArray,
    substitutes: Callable[[int], list[int]],
) -> list[int]:
    """Changes `chosen` (children sorted by flow profile) and their `places` so that nobody
    gets an attorney they have a conflict with or refused, at no cost: first by swapping places
    with another child of the profile (who values them alike), then by matching instead a child
    of the same bucket left unmatched (same tier, tender age and fit), from `substitutes(child)`
    in hearing order. Returns the children neither could help (they keep an excluded place: the
    caller solves again with them on their own)."""
    stuck: list[int] = []
    if not inst.excluded:
        return stuck
    used: set[int] = set()
    for i in np.flatnonzero(_excluded_pairs(inst, chosen, places)).tolist():
        child = int(chosen[i])
        banned = inst.excluded[child]
        lo = int(np.searchsorted(profile, profile[i], side="left"))
        hi = int(np.searchsorted(profile, profile[i], side="right"))
        for j in range(lo, hi):
            partner = inst.excluded.get(int(chosen[j]))
            if places[j] not in banned and (partner is None or places[i] not in partner):
                places[i], places[j] = places[j], places[i]
                break
        else:
            for other in substitutes(child):
                partner = inst.excluded.get(other)
                if other not in used and (partner is None or places[i] not in partner):
                    chosen[i] = other
                    used.add(other)
                    break
            else:
                stuck.append(child)
    return stuck


class _FlowBuilder:
    """Nodes and arcs of one flow, built part by part; each part knows how to read its result."""

    SINK = 0

    def __init__(
        self,
        inst: Instance,
        bonus: IntArray,
        capacity: IntArray,
        load_before: IntArray,
        prefer: Mapping[int, int],
    ) -> None:
        self.inst = inst
        self.bonus = bonus
        self.capacity = capacity
        self.load_before = load_before
        self.prefer = prefer
        self.arcs = _Arcs(scale=len(prefer) + 1)
        self.node_count = 1  # the sink
        self.supply_nodes: list[IntArray] = []
        self.supply_values: list[IntArray] = []
        self.readers: list[Reader] = []
        # pooled children whose class's places could not be handed out around their exclusions
        self.stuck: list[int] = []
        self.attorney_nodes = np.zeros(len(inst.attorneys), dtype=np.int64)
        self.built = 0.0  # when the arcs were handed to the solver

    def new_nodes(self, count: int, supply: ArcField = 0) -> IntArray:
        nodes = np.arange(self.node_count, self.node_count + count, dtype=np.int64)
        self.node_count += count
        self.supply_nodes.append(nodes)
        self.supply_values.append(np.broadcast_to(np.asarray(supply, dtype=np.int64), (count,)))
        return nodes

    def with_room(self, attorneys: IndexArray) -> BoolArray:
        result: BoolArray = self.capacity[attorneys] > 0
        return result

    def add_pools(self, children: IndexArray, kept: IndexArray) -> None:
        """Interchangeable children: bucket nodes -> one node per eligibility profile.

        `children` may have conflicts or refusals: the places are handed out around them.
        `kept`: children outside sibling groups whose only difference from their pool is a
        proposal to keep. Each has a node of its own with an
        arc into its profile's node (as a bucket of one) and one arc straight to its kept
        attorney carrying the bonus, instead of a copy of all the profile's arcs. The same flow:
        in an optimum no such child enters its profile while the profile sends a place to its
        kept attorney (taking the direct arc instead gains the bonus), so handing the profile's
        places out in any order never gives one of them its kept attorney without the bonus.
        """
        inst = self.inst
        profile_of_class = inst.flow_profile_of_class
        n_profiles = len(inst.class_of_flow_profile)
        keys, bucket_of, sizes = np.unique(
            _bucket_keys(inst, children), return_inverse=True, return_counts=True
        )
        bucket_profile = keys // 10
        bucket_tier = (keys % 10) // 2
        tender_units = np.where(keys % 2 == 1, inst.tender_age_units, 0)
        buckets = self.new_nodes(len(keys), sizes)
        kept_profile = profile_of_class[inst.child_class[kept]].astype(np.int64)
        flow_profiles = np.unique(np.concatenate([bucket_profile, kept_profile]))
        node_of_profile = np.full(n_profiles, -1, dtype=np.int64)
        node_of_profile[flow_profiles] = self.new_nodes(len(flow_profiles))
        self.arcs.add(buckets, self.SINK, sizes, 0)
        first_bucket_arc = self.arcs.add(
            buckets,
            node_of_profile[bucket_profile],
            sizes,
            -(self.bonus[bucket_tier] + tender_units),
        )
        kept_nodes = self.new_nodes(len(kept), 1)
        self.arcs.add(kept_nodes, self.SINK, 1, 0)
        kept_tier_units = self.bonus[inst.tier[kept]] + inst.tender_units[kept]
        first_kept_pool_arc = self.arcs.add(
            kept_nodes, node_of_profile[kept_profile], 1, -kept_tier_units
        )
        target = inst.kept_of[kept].astype(np.int64)
        direct = inst.is_eligible_pair(kept, target) & (self.capacity[target] > 0)
        direct &= ~_excluded_pairs(inst, kept, target)
        direct_children, direct_attorneys = kept[direct], target[direct]
        first_direct_arc = self.arcs.add(
            kept_nodes[direct],
            self.attorney_nodes[direct_attorneys],
            1,
            -(
                self.bonus[inst.tier[direct_children]]
                + inst.pair_units(direct_children, direct_attorneys.astype(np.int32))
            ),
        )
        table = inst.profile_options
        keep = (node_of_profile[table.owner] >= 0) & (self.capacity[table.attorney] > 0)
        owner, attorneys = table.owner[keep], table.attorney[keep]
        pooled = np.bincount(bucket_profile, weights=sizes, minlength=n_profiles).astype(np.int64)
        pooled += np.bincount(kept_profile, minlength=n_profiles).astype(np.int64)
        first_profile_arc = self.arcs.add(
            node_of_profile[owner],
            self.attorney_nodes[attorneys],
            np.minimum(self.capacity[attorneys], pooled[owner]),
            -table.units[keep],
        )

        def read(flows: IntArray, attorney_of: IndexArray) -> None:
            # Each bucket's first `flow` children (earliest hearing, then id) are matched; they
            # and the kept children who entered the pool take their profile's places in order,
            # attorneys by id.
            matched = flows[first_bucket_arc : first_bucket_arc + len(keys)]
            order = np.lexsort((children, inst.hearing_key[children], bucket_of))
            rank = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            taken = rank < matched[bucket_of[order]]
            entered = flows[first_kept_pool_arc : first_kept_pool_arc + len(kept)] > 0
            straight = flows[first_direct_arc : first_direct_arc + len(direct_children)] > 0
            chosen = np.concatenate([children[order][taken], kept[entered]])
            chosen = chosen[
                np.lexsort(
                    (
                        chosen,
                        inst.hearing_key[chosen],
                        inst.tier[chosen],
                        profile_of_class[inst.child_class[chosen]],
                    )
                )
            ]
            given = flows[first_profile_arc : first_profile_arc + len(attorneys)]
            places = _hand_out(chosen, attorneys, given)
            if inst.excluded:
                # who could be matched instead of a child at no cost: the unmatched of each
                # bucket (a kept child is a bucket of one with its bucket's key and cost)
                waiting = np.ones(len(kept), dtype=np.bool_)
                waiting[entered] = False
                waiting[np.flatnonzero(direct)[straight]] = False
                left = np.concatenate([children[order][~taken], kept[waiting]])
                left_key = _bucket_keys(inst, left)
                left = left[np.lexsort((left, inst.hearing_key[left], left_key))]
                left_key = _bucket_keys(inst, left)

                def substitutes(child: int) -> list[int]:
                    key = _bucket_keys(inst, np.array([child]))[0]
                    lo, hi = np.searchsorted(left_key, key), np.searchsorted(left_key, key, "right")
                    found: list[int] = left[lo:hi].tolist()
                    return found

                profile = profile_of_class[inst.child_class[chosen]]
                self.stuck.extend(_around_exclusions(inst, chosen, places, profile, substitutes))
            attorney_of[chosen] = places
            attorney_of[direct_children[straight]] = direct_attorneys[straight]

        self.readers.append(read)

    def add_hubs(self, groups: IntArray) -> None:
        """Sibling groups of one class each: a node per member into a hub, with the group's arcs
        to attorneys. Groups of one class and size with no exclusions and no preference have
        the same arcs, so they share one hub: the flow cannot tell them apart (each member's
        arc into the hub carries its own tier and tender age; an arc out of a hub of one group
        never carries more than the group), and `_unpool` then hands each attorney's places
        out group by group, whole where it can."""
        inst = self.inst
        sizes = np.array([len(inst.groups[g]) for g in groups.tolist()], dtype=np.int64)
        members = (
            np.concatenate([inst.groups[g] for g in groups.tolist()])
            if len(groups)
            else np.zeros(0, dtype=np.int32)
        )
        member_nodes = self.new_nodes(len(members), 1)
        # The hub of each group: groups of one class and size share one, unless they have
        # exclusions (their arcs are their own) or a preference (a tie-break of their own).
        hub_key: dict[tuple[int, int] | int, int] = {}
        hub_of_group = np.full(len(inst.groups), -1, dtype=np.int64)
        for g, size in zip(groups.tolist(), sizes.tolist(), strict=True):
            first = int(inst.groups[g][0])
            alike = inst.group_shares_class[g] and not any(
                int(c) in self.prefer for c in inst.groups[g]
            )
            key = (int(inst.child_class[first]), size) if alike else -1 - g
            hub_of_group[g] = hub_key.setdefault(key, len(hub_key))
        hubs = self.new_nodes(len(hub_key))
        # The arcs of a hub are those of its first group.
        leader = np.full(len(hub_key), -1, dtype=np.int64)
        for g in groups.tolist()[::-1]:
            leader[hub_of_group[g]] = g
        leads = np.zeros(len(inst.groups), dtype=np.bool_)
        leads[leader] = True
        hub_members = np.bincount(hub_of_group[groups], weights=sizes, minlength=len(hub_key))
        self.arcs.add(member_nodes, self.SINK, 1, 0, self._prefers(members, -1))
        first_member_arc = self.arcs.add(
            member_nodes,
            hubs[np.repeat(hub_of_group[groups], sizes)],
            1,
            -(self.bonus[inst.tier[members]] + inst.tender_units[members]),
        )
        preferred = np.full(len(inst.groups), NO_PREFERENCE, dtype=np.int64)
        for g in groups.tolist():
            preferred[g] = self.prefer.get(int(inst.groups[g][0]), NO_PREFERENCE)
        table = inst.hub_options
        keep = leads[table.owner] & (self.capacity[table.attorney] > 0)
        owner, attorneys = table.owner[keep], table.attorney[keep]
        arc_hub = hub_of_group[owner]
        first_hub_arc = self.arcs.add(
            hubs[arc_hub],
            self.attorney_nodes[attorneys],
            np.minimum(self.capacity[attorneys], hub_members[arc_hub].astype(np.int64)),
            -table.units[keep],
            (attorneys == preferred[owner]).astype(np.int64),
        )

        def read(flows: IntArray, attorney_of: IndexArray) -> None:
            entered = flows[first_member_arc : first_member_arc + len(members)] > 0
            given = flows[first_hub_arc : first_hub_arc + len(attorneys)]
            member_hub = np.repeat(hub_of_group[groups], sizes)
            # Each hub's members (in group order) and arcs (in attorney order).
            member_order = np.argsort(member_hub, kind="stable")
            arc_order = np.argsort(arc_hub, kind="stable")
            every_hub = np.arange(len(hub_key) + 1)
            member_bounds = np.searchsorted(member_hub[member_order], every_hub)
            arc_bounds = np.searchsorted(arc_hub[arc_order], every_hub)
            for hub in np.unique(arc_hub[given > 0]).tolist():
                arcs = arc_order[arc_bounds[hub] : arc_bounds[hub + 1]]
                arcs = arcs[given[arcs] > 0]
                inside = member_order[member_bounds[hub] : member_bounds[hub + 1]]
                chosen, places = _unpool(
                    inst, members[inside], entered[inside], attorneys[arcs], given[arcs]
                )
                attorney_of[chosen] = places

        self.readers.append(read)

    def add_own(self, children: IndexArray) -> None:
        """Children with arcs of their own: conflicts, refusals or a proposal to keep, or siblings
        of mixed classes or with a proposal to keep."""
        inst = self.inst
        nodes = self.new_nodes(len(children), 1)
        self.arcs.add(nodes, self.SINK, 1, 0, self._prefers(children, -1))
        first = self.arcs.count
        arc_children: list[IntArray] = []
        arc_attorneys: list[IntArray] = []
        for node, child in zip(nodes.tolist(), children.tolist(), strict=True):
            options, fit = inst.eligible(child)
            room = self.with_room(options)
            attorneys, fit = options[room].astype(np.int64), fit[room]
            self.arcs.add(
                node,
                self.attorney_nodes[attorneys],
                1,
                -(self.bonus[inst.tier[child]] + fit),
                (attorneys == self.prefer.get(child, NO_PREFERENCE)).astype(np.int64),
            )
            arc_children.append(np.full(len(attorneys), child, dtype=np.int64))
            arc_attorneys.append(attorneys)

        def read(flows: IntArray, attorney_of: IndexArray) -> None:
            if not arc_children:
                return
            child_of_arc = np.concatenate(arc_children)
            used = flows[first : first + len(child_of_arc)] > 0
            attorney_of[child_of_arc[used]] = np.concatenate(arc_attorneys)[used]

        self.readers.append(read)

    def add_attorneys(self, most_places: int) -> None:
        """Attorney nodes, each with one arc per free place to the sink, of increasing cost:
        the flow fills the cheap places first."""
        inst = self.inst
        self.attorney_nodes[:] = self.new_nodes(len(inst.attorneys))
        places = np.minimum(self.capacity, most_places)
        with_room = np.flatnonzero(places > 0)
        per = places[with_room]
        step = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
        base = inst.current_load[with_room] + self.load_before[with_room]
        self.arcs.add(
            np.repeat(self.attorney_nodes[with_room], per),
            self.SINK,
            1,
            inst.load_units_per_case * (np.repeat(base, per) + step),
        )

    def _prefers(self, children: IndexArray, choice: int) -> IntArray:
        return np.array(
            [self.prefer.get(c, NO_PREFERENCE) == choice for c in children.tolist()],
            dtype=np.int64,
        ).reshape(len(children))

    def solve(self) -> tuple[IndexArray, int, float]:
        """Attorney per child, the true optimal cost, and the solve time (from `solve`)."""
        solver = min_cost_flow.SimpleMinCostFlow()
        self.arcs.into(solver)
        supplies = np.zeros(self.node_count, dtype=np.int64)
        for nodes, values in zip(self.supply_nodes, self.supply_values, strict=True):
            supplies[nodes] = values
        supplies[self.SINK] = -int(supplies.sum())
        solver.set_nodes_supplies(np.arange(self.node_count, dtype=np.int64), supplies)
        self.built = time.perf_counter()
        status = solver.solve()
        solve_s = time.perf_counter() - self.built
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost flow ended with status {status!r}; this is an engine bug")
        flows = solver.flows(np.arange(self.arcs.count, dtype=np.int64))
        attorney_of = np.full(len(self.inst.children), -1, dtype=np.int32)
        for read in self.readers:
            read(flows, attorney_of)
        return attorney_of, -(-int(solver.optimal_cost()) // self.arcs.scale), solve_s


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
    attorney, or -1 for none; among equally good assignments, the flow gives as many of these
    children as it can what they prefer (used to keep siblings together where it costs nothing).
    A sibling group takes part whole or not at all.
    """
    started = time.perf_counter()
    capacity = np.where(inst.available, capacity, 0)
    hubs = np.array(
        [
            g
            for g, members in enumerate(inst.groups)
            if inst.hub_group[g] and taking_part[members[0]]
        ],
        dtype=np.int64,
    )
    own = taking_part & (inst.group_of >= 0)
    for g in hubs.tolist():
        own[inst.groups[g]] = False
    loners = taking_part & (inst.group_of < 0)
    own |= _alone_with_exclusions(inst, loners)
    solve_s, solves = 0.0, 0
    while True:
        builder = _FlowBuilder(inst, bonus, capacity, load_before, prefer or {})
        builder.add_attorneys(most_places=int(taking_part.sum()))
        builder.add_hubs(hubs)
        builder.add_own(np.flatnonzero(own).astype(np.int32))
        pooled = loners & ~own
        kept = pooled & (inst.kept_of >= 0)
        builder.add_pools(
            np.flatnonzero(pooled & ~kept).astype(np.int32), np.flatnonzero(kept).astype(np.int32)
        )
        attorney_of, cost, solved_s = builder.solve()
        solve_s += solved_s
        solves += 1
        if not builder.stuck:
            break
        # Rare: a class's places could not be handed out around these children's exclusions.
        own[builder.stuck] = True
    return FlowSolution(
        attorney_of=attorney_of,
        cost=cost,
        arcs=builder.arcs.count,
        build_s=time.perf_counter() - started - solve_s,
        solve_s=solve_s,
        solves=solves,
    )
