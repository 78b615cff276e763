"""The exact model with sibling groups (CP-SAT), optimised tier by tier.

Sibling groups are not flow: a group takes `size` places of one attorney or none. CP-SAT solves
the strict priority lexicographically: maximise T1 matched, keep it, maximise T2, ... then fit.
As in the flow, children who are interchangeable (same class, tier and tender age, no sibling
group, no conflict) form one pool with an integer count per attorney rather than one yes/no per
child: the model stays small and free of the symmetry that would make proofs slow.
A stage that ends at the time limit keeps its best value as a floor and the result is not proven.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .eligibility import IndexArray, Instance, IntArray
from .rules import Tier

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

Choices = list[list[tuple[int, "cp_model.IntVar"]]]
Terms = list[tuple[int, "cp_model.IntVar"]]
# attorney -> (places per choice, variable, largest value) for every choice that may go there
Uses = dict[int, list[tuple[int, "cp_model.IntVar", int]]]


@dataclass(frozen=True, slots=True)
class Entity:
    """A sibling group (`together`: all on one attorney or none), or a pool of interchangeable
    children each placed on their own, handed places in the order of `children`."""

    children: tuple[int, ...]
    together: bool
    attorneys: IndexArray  # eligible for every member
    fit_units: (
        IntArray  # aligned with attorneys, without load: a group's summed, a pool's per child
    )

    @property
    def places_per_choice(self) -> int:
        return len(self.children) if self.together else 1

    @property
    def most_choices(self) -> int:
        return 1 if self.together else len(self.children)

    def restricted(self, keep: IndexArray | np.ndarray) -> Entity:
        return Entity(self.children, self.together, self.attorneys[keep], self.fit_units[keep])

    def placement(self, attorney_of: IndexArray) -> list[int]:
        """The attorneys this entity uses in an assignment, one per place-taker, by attorney."""
        if self.together:
            first = int(attorney_of[self.children[0]])
            return [first] if first >= 0 else []
        used = attorney_of[list(self.children)]
        return sorted(used[used >= 0].tolist())

    def apply(self, placement: Sequence[int], attorney_of: IndexArray) -> None:
        members = list(self.children)
        if self.together:
            attorney_of[members] = placement[0] if placement else -1
            return
        attorney_of[members] = -1
        attorney_of[members[: len(placement)]] = sorted(placement)


@dataclass(frozen=True, slots=True)
class ExactSolution:
    placements: tuple[tuple[int, ...], ...]  # per entity, as Entity.placement
    proven: bool


@dataclass(frozen=True, slots=True)
class _Variables:
    """The model's variables, to read a solution from and to hint one into."""

    choices: Choices  # per entity: (attorney, places handed to it)
    slots: dict[int, list[cp_model.IntVar]]  # per attorney: one step per place, filled in order
    entities: Sequence[Entity]


def group_entity(inst: Instance, members: Sequence[int]) -> Entity:
    """A sibling group: the attorneys eligible for every member, their fits summed."""
    attorneys, fit = inst.eligible(members[0])
    for child in members[1:]:
        others, other_fit = inst.eligible(child)
        common, mine, theirs = np.intersect1d(
            attorneys, others, assume_unique=True, return_indices=True
        )
        attorneys, fit = common.astype(np.int32), fit[mine] + other_fit[theirs]
    return Entity(tuple(members), True, attorneys, fit)


def pool_entities(
    inst: Instance, children: Sequence[int], key_extra: Sequence[int]
) -> list[Entity]:
    """Children outside sibling groups, pooled by (class, tier, tender age, key_extra);
    a child with a conflict, a refusal or a proposal to keep is a pool of its own."""
    pools: dict[tuple[int, ...], list[int]] = {}
    for child, extra in zip(children, key_extra, strict=True):
        if child in inst.on_own:
            key: tuple[int, ...] = (-1, child)
        else:
            key = (
                int(inst.child_class[child]),
                int(inst.tier[child]),
                int(inst.tender[child]),
                extra,
            )
        pools.setdefault(key, []).append(child)
    entities = []
    for key in sorted(pools):
        members = sorted(pools[key], key=lambda c: (int(inst.hearing_key[c]), c))
        attorneys, fit = inst.eligible(members[0])
        entities.append(Entity(tuple(members), False, attorneys, fit))
    return entities


def solve_exact(
    inst: Instance,
    entities: Sequence[Entity],
    capacity: IntArray,
    load_before: IntArray,
    start: IndexArray,
    deadline: float,
) -> ExactSolution:
    """Best placement of `entities` on attorneys with `capacity` places left (per attorney).

    start: a feasible assignment (attorney per child, -1 none) the search begins from.
    load_before: new cases already given to each attorney outside this model.
    """
    # cp_model imports pandas when loaded, so it is loaded only when a model is needed.
    from ortools.sat.python import cp_model  # noqa: F811

    model = cp_model.CpModel()
    choices, uses, fit_terms, tier_terms = _add_choices(model, inst, entities, capacity)
    slots, load_terms = _add_places(model, inst, uses, capacity, load_before)
    current = [entity.placement(start) for entity in entities]
    placements, proven = _maximise_in_stages(
        model,
        _stages(tier_terms, fit_terms + load_terms),
        _Variables(choices, slots, entities),
        current,
        deadline,
    )
    return ExactSolution(tuple(tuple(p) for p in placements), proven)


def _add_choices(
    model: cp_model.CpModel, inst: Instance, entities: Sequence[Entity], capacity: IntArray
) -> tuple[Choices, Uses, Terms, dict[Tier, Terms]]:
    """One variable per entity and attorney with room: how many choices go there (at most all)."""
    choices: Choices = []
    uses: Uses = {}
    fit_terms: Terms = []
    tier_terms: dict[Tier, Terms] = {tier: [] for tier in Tier}
    for e, entity in enumerate(entities):
        tiers = np.bincount(inst.tier[list(entity.children)], minlength=5)
        size = entity.places_per_choice
        options: list[tuple[int, cp_model.IntVar]] = []
        for attorney, fit in zip(entity.attorneys.tolist(), entity.fit_units.tolist(), strict=True):
            room = int(capacity[attorney]) // size
            if room < 1:
                continue
            most = min(room, entity.most_choices)
            var = model.new_int_var(0, most, f"x{e}_{attorney}")
            options.append((attorney, var))
            uses.setdefault(attorney, []).append((size, var, most))
            fit_terms.append((fit, var))
            for tier in Tier:
                if tiers[tier]:
                    # a group counts each member; a pool's children all share one tier
                    tier_terms[tier].append((int(tiers[tier]) if entity.together else 1, var))
        if len(options) > 1:
            model.add(sum(var for _, var in options) <= entity.most_choices)
        choices.append(options)
    return choices, uses, fit_terms, tier_terms


def _add_places(
    model: cp_model.CpModel,
    inst: Instance,
    uses: Uses,
    capacity: IntArray,
    load_before: IntArray,
) -> tuple[dict[int, list[cp_model.IntVar]], Terms]:
    """Each attorney's capacity, and (with a load cost) one step per place at a rising cost."""
    slots: dict[int, list[cp_model.IntVar]] = {}
    load_terms: Terms = []
    for attorney, attorney_uses in sorted(uses.items()):
        demand = sum(size * var for size, var, _ in attorney_uses)
        if inst.load_units_per_case == 0:
            model.add(demand <= int(capacity[attorney]))
            continue
        # The k-th place costs more than the one before, filled in order: the same convex load
        # cost as the flow's parallel arcs.
        places = min(int(capacity[attorney]), sum(size * most for size, _, most in attorney_uses))
        steps = [model.new_bool_var(f"z{attorney}_{k}") for k in range(places)]
        model.add(sum(steps) == demand)
        for before, after in zip(steps, steps[1:], strict=False):
            model.add_implication(after, before)
        base = int(inst.current_load[attorney] + load_before[attorney])
        for k, step in enumerate(steps):
            load_terms.append((-inst.load_units_per_case * (base + k), step))
        slots[attorney] = steps
    return slots, load_terms


def _stages(tier_terms: dict[Tier, Terms], fit_terms: Terms) -> list[tuple[Tier | None, Terms]]:
    """The objectives in strict order: each tier that has children here, then the fit."""
    stages: list[tuple[Tier | None, Terms]] = [
        (tier, tier_terms[tier]) for tier in Tier if tier_terms[tier]
    ]
    stages.append((None, fit_terms))
    return stages


def _maximise_in_stages(
    model: cp_model.CpModel,
    stages: Sequence[tuple[Tier | None, Terms]],
    variables: _Variables,
    current: list[list[int]],
    deadline: float,
) -> tuple[list[list[int]], bool]:
    """Each stage maximised in turn from `current`, keeping what each tier won; and if proven."""
    from ortools.sat.python import cp_model  # noqa: F811

    proven = True
    solver = cp_model.CpSolver()
    # One worker keeps the search deterministic (same data, same answer); these models are small
    # and a single worker proves them fastest here.
    solver.parameters.num_workers = 1
    for stage_tier, terms in stages:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            proven = False
            break
        expression = sum(coefficient * var for coefficient, var in terms)
        model.maximize(expression)
        values = _values(variables, current)
        _hint(model, values)
        solver.parameters.max_time_in_seconds = remaining
        status = solver.solve(model)
        start_value = _value_of(terms, values)
        found = status == cp_model.OPTIMAL or status == cp_model.FEASIBLE
        # The objective value comes back as a float: round before comparing.
        if found and round(solver.objective_value) >= start_value:
            current = [
                [a for a, var in options for _ in range(solver.value(var))]
                for options in variables.choices
            ]
            value = round(solver.objective_value)
            proven = proven and status == cp_model.OPTIMAL
        else:
            # Stopped before matching the start: keep it (it is feasible for every stage).
            proven = False
            value = start_value
        if stage_tier is not None:
            # Later stages may not give back what this one won.
            model.add(expression >= value)
    return current, proven


def _values(
    variables: _Variables, current: Sequence[Sequence[int]]
) -> list[tuple[cp_model.IntVar, int]]:
    """Every variable's value in the current solution."""
    values: list[tuple[cp_model.IntVar, int]] = []
    taken: dict[int, int] = {}
    for entity, options, placement in zip(
        variables.entities, variables.choices, current, strict=True
    ):
        values += [(var, placement.count(attorney)) for attorney, var in options]
        for attorney in placement:
            taken[attorney] = taken.get(attorney, 0) + entity.places_per_choice
    for attorney, steps in variables.slots.items():
        values += [(step, int(k < taken.get(attorney, 0))) for k, step in enumerate(steps)]
    return values


def _hint(model: cp_model.CpModel, values: list[tuple[cp_model.IntVar, int]]) -> None:
    """Starts the next stage from the current solution (always feasible for it)."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    for var, value in values:
        model.add_hint(var, value)


def _value_of(terms: Terms, values: list[tuple[cp_model.IntVar, int]]) -> int:
    """A stage's objective on the current solution."""
    value_of = {var.index: value for var, value in values}
    return sum(coefficient * value_of[var.index] for coefficient, var in terms)
