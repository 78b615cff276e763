"""Capacity against demand: a run's unmatched children per court and primary language (and case
type), against the attorneys eligible for them and those attorneys' free slots.

An attorney is eligible for a group when they pass rules 1-5 (court, language, expertise,
detention, leave) for at least one of its unmatched children, exactly as the engine decides
(`Instance.class_passes`); a child's own conflicts and refusals are left out, since a group has
none. Free slots are the engine's input (models.capacity), before and after this run's proposals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .eligibility import BoolArray, Instance, IntArray
from .problem import MatchProblem
from .result import MatchResult, UnmatchedReason
from .rules import CaseType, PairRule, Tier

# The rules a group's eligibility applies: a child's conflicts and refusals are their own, and
# capacity is what the report sets against the demand.
GROUP_RULES = (
    PairRule.COURT,
    PairRule.LANGUAGE,
    PairRule.EXPERTISE,
    PairRule.DETAINED,
    PairRule.ON_LEAVE,
)

GroupKey = tuple[int, str, CaseType | None]  # court id, primary language, case type or None: all


@dataclass(frozen=True, slots=True)
class GroupDemand:
    """The unmatched children of one court and primary language (and case type, unless None)."""

    court_id: int
    language: str  # ISO 639-3 code of the children's primary language
    case_type: CaseType | None
    unmatched_per_tier: Mapping[Tier, int]
    reasons: Mapping[UnmatchedReason, int]
    eligible_attorneys: int
    free_slots: int  # of the eligible attorneys, before this run's proposals
    free_slots_after_run: int  # what this run's proposals left of them

    @property
    def unmatched(self) -> int:
        return sum(self.unmatched_per_tier.values())


def demand_by_group(
    problem: MatchProblem, result: MatchResult, instance: Instance | None = None
) -> tuple[GroupDemand, ...]:
    """One `GroupDemand` per court and primary language with unmatched children (case_type
    None), and one per court, language and case type, in court id, language, case type order.
    instance: `Instance(problem)` if already built (as for solve)."""
    if not result.unmatched:
        return ()
    inst = instance if instance is not None and instance.problem is problem else Instance(problem)
    after_run = _free_after_run(inst, result)
    members: dict[GroupKey, list[int]] = {}
    for unmatched in result.unmatched:
        child = inst.child_index[unmatched.child_id]
        klass = inst.classes[inst.child_class[child]]
        court, language = inst.courts[klass.court].id, klass.languages[0]
        for case_type in (None, klass.case_type):
            members.setdefault((court, language, case_type), []).append(child)
    by_child = {inst.child_index[u.child_id]: u for u in result.unmatched}
    passes_of_class: dict[int, BoolArray] = {}
    groups = []
    for key in sorted(members, key=_group_order):
        children = members[key]
        eligible = np.zeros(len(inst.attorneys), dtype=np.bool_)
        for klass in {int(inst.child_class[child]) for child in children}:
            if klass not in passes_of_class:
                passes_of_class[klass] = _passes_group_rules(inst, klass)
            eligible |= passes_of_class[klass]
        groups.append(
            GroupDemand(
                court_id=key[0],
                language=key[1],
                case_type=key[2],
                unmatched_per_tier=dict(Counter(by_child[c].tier for c in children)),
                reasons=dict(Counter(by_child[c].reason for c in children)),
                eligible_attorneys=int(eligible.sum()),
                free_slots=int(inst.free_slots[eligible].sum()),
                free_slots_after_run=int(after_run[eligible].sum()),
            )
        )
    return tuple(groups)


def _group_order(key: GroupKey) -> tuple[int, str, str]:
    return key[0], key[1], key[2].value if key[2] is not None else ""


def _passes_group_rules(inst: Instance, klass: int) -> BoolArray:
    """The attorneys passing every rule of GROUP_RULES for a child of the class."""
    passes = inst.class_passes(inst.classes[klass])
    eligible = np.ones(len(inst.attorneys), dtype=np.bool_)
    for rule in GROUP_RULES:
        eligible &= passes[rule]
    return eligible


def _free_after_run(inst: Instance, result: MatchResult) -> IntArray:
    """Each attorney's free slots less the children this run proposed to them."""
    proposed = np.zeros(len(inst.attorneys), dtype=np.int64)
    for proposal in result.proposals:
        proposed[inst.attorney_index[proposal.attorney_id]] += 1
    left: IntArray = np.maximum(inst.free_slots - proposed, 0)
    return left
