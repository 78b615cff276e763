"""Why: the score parts and one-line reason of each proposal, and why each other child is unmatched.

Unmatched reasons come from progressive filters over all attorneys, in rule order (`PairRule`:
court, language, expertise, detained, leave, conflicts and refusals, capacity, then what this run
used), computed per eligibility class with numpy and adjusted per child only for conflicts,
refusals and sibling groups.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from .eligibility import (
    COURT_LISTED,
    COURT_RADIUS,
    UNITS_PER_POINT,
    BoolArray,
    ChildClass,
    IndexArray,
    Instance,
    IntArray,
)
from .result import (
    FILTER_COUNTS,
    Baseline,
    MatchResult,
    Proposal,
    SolveStatus,
    Unmatched,
    UnmatchedReason,
)
from .rules import CaseType, ExpertiseLevel, LanguageLevel, PairRule, Tier, age_on
from .scoring import Objective, children_per_tier, objective

CLOSEST_ATTORNEYS = 5

CASE_TYPE_NAMES = {
    CaseType.ASYLUM: "asylum",
    CaseType.SIJS: "SIJS",
    CaseType.T_VISA: "T visa",
    CaseType.U_VISA: "U visa",
    CaseType.REMOVAL_DEFENSE: "removal defense",
}
LANGUAGE_LEVELS = {1: LanguageLevel.WORKING, 2: LanguageLevel.FLUENT, 3: LanguageLevel.NATIVE}
EXPERTISE_LEVELS = {
    1: ExpertiseLevel.MENTORED,
    2: ExpertiseLevel.EXPERIENCED,
    3: ExpertiseLevel.EXPERT,
}


@dataclass(frozen=True, slots=True)
class _Filter:
    """One step of the unmatched filters: the rules it applies, the count stored after it and
    the reason given when it leaves no attorney."""

    count: str  # a key of Unmatched.counts (FILTER_COUNTS)
    reason: UnmatchedReason
    rules: tuple[PairRule, ...]


# The last count: eligible attorneys with a free slot left after this run's proposals.
AFTER_RUN = "capacity_left_after_run"
# The count and reason of each rule's filter; a conflict and a refusal make one filter.
_FILTER_OF_RULE: dict[PairRule, tuple[str, UnmatchedReason]] = {
    PairRule.COURT: ("serve_court", UnmatchedReason.NO_ATTORNEY_FOR_COURT),
    PairRule.LANGUAGE: ("language", UnmatchedReason.NO_LANGUAGE),
    PairRule.EXPERTISE: ("expertise", UnmatchedReason.NO_EXPERTISE),
    PairRule.DETAINED: ("take_detained", UnmatchedReason.DETAINED_NO_ATTORNEY),
    PairRule.ON_LEAVE: ("not_on_leave", UnmatchedReason.ALL_ON_LEAVE),
    PairRule.CONFLICT: ("no_conflict", UnmatchedReason.CONFLICTS_OR_REFUSED),
    PairRule.REFUSED_BEFORE: ("no_conflict", UnmatchedReason.CONFLICTS_OR_REFUSED),
    PairRule.NO_FREE_SLOT: ("free_capacity", UnmatchedReason.ALL_ELIGIBLE_FULL),
}


def _filters_in_rule_order() -> tuple[_Filter, ...]:
    """The filters in `PairRule` order, then a check that they are the stored counts' order."""
    filters: dict[str, _Filter] = {}
    for rule in PairRule:
        count, reason = _FILTER_OF_RULE[rule]
        earlier = filters[count].rules if count in filters else ()
        filters[count] = _Filter(count, reason, (*earlier, rule))
    if (*filters, AFTER_RUN) != FILTER_COUNTS:
        raise RuntimeError(f"the filters {list(filters)} do not follow FILTER_COUNTS")
    return tuple(filters.values())


_FILTERS = _filters_in_rule_order()
# The count of the filter of a child's own exclusions (conflicts and refusals).
_CONFLICT_COUNT = _FILTER_OF_RULE[PairRule.CONFLICT][0]


@dataclass(frozen=True, slots=True)
class _Profile:
    """The filters' verdict for the unmatched children of one class (and set of exclusions)."""

    counts: dict[str, int]
    reason: UnmatchedReason
    placed_per_tier: IntArray  # children of each tier given to the eligible attorneys
    closest: tuple[int, ...]
    speaking: BoolArray  # attorneys serving the court in one of the child's languages
    before_capacity: BoolArray  # attorneys passing every rule of the class but capacity
    excluded: IndexArray  # the child's own conflicts and refusals (none for a class)

    def candidates(self) -> IndexArray:
        """The attorneys passing every rule but capacity, the child's exclusions included."""
        mask = self.before_capacity.copy()
        mask[self.excluded] = False
        return np.flatnonzero(mask).astype(np.int32)


@dataclass(frozen=True, slots=True)
class _Near:
    """The attorneys failing at most one filter for a class, and how they rank for "closest"
    (lower first): failures, then fit."""

    attorneys: IntArray  # ascending
    failures: IntArray  # 0 or 1
    key: IntArray


_NO_ATTORNEYS: IndexArray = np.zeros(0, dtype=np.int32)
# A failed filter outweighs any fit in the closest attorneys' order.
_FAILURE_UNITS = 1 << 40


def _points(units: int | np.integer) -> float:
    return int(units) / UNITS_PER_POINT


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Explainer:
    def __init__(self, inst: Instance, attorney_of: IndexArray) -> None:
        self.inst = inst
        self.attorney_of = attorney_of
        self.names: Mapping[str, str] = inst.problem.language_names
        matched = attorney_of >= 0
        self.new_cases = np.bincount(attorney_of[matched], minlength=len(inst.attorneys))
        self.capacity_left = np.where(inst.available, inst.free_slots - self.new_cases, 0)
        # placed[a, t]: children of tier t given to attorney a in this run
        self.placed = np.zeros((len(inst.attorneys), 5), dtype=np.int64)
        np.add.at(self.placed, (attorney_of[matched], inst.tier[matched]), 1)

    def language_name(self, code: str) -> str:
        return self.names.get(code, code)

    # -- proposals -------------------------------------------------------------------------

    def proposals(self) -> tuple[Proposal, ...]:
        inst = self.inst
        matched = np.flatnonzero(self.attorney_of >= 0)
        # Each attorney's new cases take the load steps in priority order (tier, hearing, id).
        order = np.lexsort(
            (matched, inst.hearing_key[matched], inst.tier[matched], self.attorney_of[matched])
        )
        kth: dict[int, int] = {}
        result = []
        for child in matched[order].tolist():
            attorney = int(self.attorney_of[child])
            kth[attorney] = kth.get(attorney, 0) + 1
            result.append(self.proposal(child, attorney, kth[attorney]))
        result.sort(key=lambda p: p.child_id)
        return tuple(result)

    def proposal(self, child: int, attorney: int, kth_new_case: int) -> Proposal:
        inst = self.inst
        record = inst.children[child]
        klass = inst.classes[inst.child_class[child]]
        profile = inst.language_profile(klass.languages)
        language_units = int(profile.fit_units[attorney])
        position = int(profile.spoken[attorney])
        reasons = []
        if position >= 0:
            code = klass.languages[position]
            level = LANGUAGE_LEVELS[int(inst.language_rank[code][attorney])]
            reasons.append(f"speaks {self.language_name(code)} ({level})")
        else:
            reasons.append(f"interpreter for {self.language_name(klass.languages[0])}")
        rank = int(inst.expertise_rank[klass.case_type][attorney])
        reasons.append(f"{EXPERTISE_LEVELS[rank]} in {CASE_TYPE_NAMES[klass.case_type]}")
        reasons.append(self._court_reason(klass, attorney))
        tender_units = int(inst.tender_units[child])
        if tender_units:
            reasons.append(f"tender age ({age_on(record.birth_date, inst.as_of)})")
        load_units = inst.load_cost_units(attorney, kth_new_case)
        carried = int(inst.current_load[attorney])
        reasons.append(f"{_ordinal(kth_new_case)} new case for this attorney (carries {carried})")
        if record.next_hearing_date is not None and record.next_hearing_date < inst.as_of:
            reasons.append(f"hearing date {record.next_hearing_date.isoformat()} already past")
        kept_units = 0
        if int(inst.kept_of[child]) == attorney:
            kept_units = inst.kept_units
            reasons.append(f"kept from run {inst.kept_from_run[child]}")
        parts = {
            "language": _points(language_units),
            "expertise": _points(inst.expertise_units(klass.case_type)[attorney]),
            "distance": _points(inst.distance_units[klass.court, attorney]),
            "tender_age": _points(tender_units),
            "load": _points(-load_units),
        }
        if kept_units:
            parts["kept"] = _points(kept_units)
        return Proposal(
            child_id=record.id,
            attorney_id=inst.attorneys[attorney].id,
            tier=inst.tier_of(child),
            score=_points(
                language_units
                + int(inst.expertise_units(klass.case_type)[attorney])
                + int(inst.distance_units[klass.court, attorney])
                + tender_units
                - load_units
                + kept_units
            ),
            score_parts=parts,
            why="; ".join(reasons),
        )

    def _court_reason(self, klass: ChildClass, attorney: int) -> str:
        inst = self.inst
        court = inst.courts[klass.court]
        km = inst.distance_km[klass.court, attorney]
        distance = "home location unknown" if np.isnan(km) else f"{km:.0f} km from court"
        mode = int(inst.court_mode[klass.court, attorney])
        if mode == COURT_LISTED:
            return f"serves {court.code}; {distance}"
        if mode == COURT_RADIUS:
            return f"{court.code} within travel radius; {distance}"
        return f"remote hearings in {court.state}; {distance}"

    # -- unmatched -------------------------------------------------------------------------

    def unmatched(self) -> tuple[Unmatched, ...]:
        inst = self.inst
        unmatched = np.flatnonzero(self.attorney_of < 0)
        result: dict[int, Unmatched] = {}
        group_candidates: dict[int, IndexArray] = {}
        order = np.argsort(inst.child_class[unmatched], kind="stable")
        by_class = unmatched[order]
        bounds = np.flatnonzero(np.diff(inst.child_class[by_class])) + 1
        for members in np.split(by_class, bounds) if len(by_class) else []:
            klass = inst.classes[inst.child_class[members[0]]]
            shared, near, masks = self._class_profile(klass)
            # Children of one profile and tier share their counts and line.
            told: dict[tuple[int, int], tuple[dict[str, int], str]] = {}
            for child in members.tolist():
                excluded = inst.excluded.get(child)
                if excluded is None:
                    profile = shared
                else:
                    profile = self._excluded_profile(shared, near, masks, excluded)
                result[child] = self._unmatched_child(child, klass, profile, told)
                if inst.group_of[child] >= 0:
                    group_candidates[child] = profile.candidates()
        for group in inst.groups:
            if all(int(c) in result for c in group):
                self._explain_group(group, result, group_candidates)
        return tuple(result[c] for c in sorted(result, key=lambda c: inst.children[c].id))

    def _class_profile(self, klass: ChildClass) -> tuple[_Profile, _Near, dict[str, BoolArray]]:
        """What the filters leave for children of one class, with the attorneys near to passing
        and the mask after each filter (for children with exclusions of their own)."""
        inst = self.inst
        passes = inst.class_passes(klass)
        filter_passes = [
            passes[f.rules[0]]
            if len(f.rules) == 1
            else np.logical_and.reduce([passes[r] for r in f.rules])
            for f in _FILTERS
        ]
        masks = [*accumulate(filter_passes, np.logical_and)]
        masks.append(masks[-1] & (self.capacity_left > 0))
        after = dict(zip(FILTER_COUNTS, masks, strict=True))
        counts = {key: int(np.count_nonzero(mask)) for key, mask in after.items()}
        near = self._near(klass, filter_passes)
        profile = _Profile(
            counts=counts,
            reason=self._reason(counts),
            placed_per_tier=self.placed[after["free_capacity"]].sum(axis=0),
            closest=self._closest(near.attorneys, near.key),
            speaking=after["language"],
            before_capacity=after["no_conflict"],
            excluded=_NO_ATTORNEYS,
        )
        return profile, near, after

    def _excluded_profile(
        self,
        shared: _Profile,
        near: _Near,
        masks: Mapping[str, BoolArray],
        excluded: IndexArray,
    ) -> _Profile:
        """The class's verdict for a child with conflicts or refusals of its own: the filters
        before theirs are the class's; theirs and those after it lose the excluded attorneys."""
        counts = dict(shared.counts)
        for count in FILTER_COUNTS[FILTER_COUNTS.index(_CONFLICT_COUNT) :]:
            counts[count] -= int(np.count_nonzero(masks[count][excluded]))
        eligible_excluded = excluded[masks["free_capacity"][excluded]]
        # An excluded attorney fails one filter more: near ones already failing one drop out.
        hit = np.isin(near.attorneys, excluded, assume_unique=True)
        keep = ~(hit & (near.failures > 0))
        key = near.key + np.where(hit, _FAILURE_UNITS, 0)
        return _Profile(
            counts=counts,
            reason=self._reason(counts),
            placed_per_tier=shared.placed_per_tier - self.placed[eligible_excluded].sum(axis=0),
            closest=self._closest(near.attorneys[keep], key[keep]),
            speaking=shared.speaking,
            before_capacity=shared.before_capacity,
            excluded=excluded,
        )

    @staticmethod
    def _reason(counts: Mapping[str, int]) -> UnmatchedReason:
        first_empty = next((f for f in _FILTERS if not counts[f.count]), None)
        if first_empty is not None:
            return first_empty.reason
        if counts[AFTER_RUN]:
            return UnmatchedReason.NOT_PLACED
        return UnmatchedReason.TAKEN_BY_MORE_URGENT

    def _unmatched_child(
        self,
        child: int,
        klass: ChildClass,
        profile: _Profile,
        told: dict[tuple[int, int], tuple[dict[str, int], str]],
    ) -> Unmatched:
        inst = self.inst
        tier = inst.tier_of(child)
        shared = told.get((id(profile), tier))
        if shared is None:
            counts = dict(profile.counts)
            placed = profile.placed_per_tier
            counts["placed_same_or_more_urgent"] = int(placed[1 : tier + 1].sum())
            counts["placed_less_urgent"] = int(placed[tier + 1 :].sum())
            shared = counts, self._detail(klass, profile, counts)
            if not len(profile.excluded):
                told[id(profile), tier] = shared
        counts, detail = shared
        record = inst.children[child]
        if record.next_hearing_date is not None and record.next_hearing_date < inst.as_of:
            detail += f" Hearing date {record.next_hearing_date.isoformat()} already past."
        return Unmatched(
            child_id=record.id,
            tier=tier,
            reason=profile.reason,
            detail=detail,
            counts=counts,
            closest_attorney_ids=profile.closest,
        )

    def _explain_group(
        self, group: IndexArray, result: dict[int, Unmatched], candidates: dict[int, IndexArray]
    ) -> None:
        """A whole unmatched sibling group: the members who could have had an attorney alone
        were left out because of the group."""
        inst = self.inst
        size = len(group)
        common: IndexArray = candidates[int(group[0])]
        for child in group[1:].tolist():
            common = np.intersect1d(common, candidates[child], assume_unique=True)
        if not len(common):
            reason = UnmatchedReason.SIBLINGS_NO_COMMON_ATTORNEY
            detail = f"Sibling group of {size}: no attorney is eligible for all of them."
        elif not (inst.free_slots[common] >= size).any():
            reason = UnmatchedReason.SIBLING_GROUP_TOO_LARGE
            detail = (
                f"Sibling group of {size}: none of the {len(common)} attorneys eligible for all "
                f"of them has {size} free slots."
            )
        elif (self.capacity_left[common] >= size).any():
            reason = UnmatchedReason.NOT_PLACED
            detail = (
                f"Sibling group of {size}: attorneys eligible for all of them still have room; "
                "the run stopped before placing the group (time limit)."
            )
        else:
            roomy = int((inst.free_slots[common] >= size).sum())
            reason = UnmatchedReason.TAKEN_BY_MORE_URGENT
            detail = (
                f"Sibling group of {size}: the {roomy} attorneys eligible for all of them with "
                f"{size} free slots were given to other children in this run."
            )
        for child in group.tolist():
            own = result[child]
            if own.reason in (UnmatchedReason.TAKEN_BY_MORE_URGENT, UnmatchedReason.NOT_PLACED):
                result[child] = Unmatched(
                    child_id=own.child_id,
                    tier=own.tier,
                    reason=reason,
                    detail=detail,
                    counts={
                        **own.counts,
                        "sibling_group_size": size,
                        "attorneys_for_whole_group": len(common),
                    },
                    closest_attorney_ids=own.closest_attorney_ids,
                )

    def _near(self, klass: ChildClass, filter_passes: list[BoolArray]) -> _Near:
        """The attorneys failing at most one filter for a class (full, on leave, another
        court, ...), ranked: eligible ones first, then by fit."""
        inst = self.inst
        failures = np.zeros(len(inst.attorneys), dtype=np.uint8)
        for passes in filter_passes:
            failures += ~passes
        near = np.flatnonzero(failures <= 1)
        profile = inst.language_profile(klass.languages)
        fit: IntArray = (
            profile.fit_units[near]
            + inst.expertise_units(klass.case_type)[near]
            + inst.distance_units[klass.court, near]
        )
        failed = failures[near].astype(np.int64)
        return _Near(attorneys=near, failures=failed, key=failed * _FAILURE_UNITS - fit)

    def _closest(self, near: IntArray, key: IntArray) -> tuple[int, ...]:
        """The ids of the CLOSEST_ATTORNEYS near attorneys of lowest key (lowest index first
        among equal keys)."""
        if len(near) > CLOSEST_ATTORNEYS:
            threshold = np.partition(key, CLOSEST_ATTORNEYS - 1)[CLOSEST_ATTORNEYS - 1]
            within = np.flatnonzero(key <= threshold)
            near, key = near[within], key[within]
        best = np.lexsort((near, key))[:CLOSEST_ATTORNEYS]
        return tuple(self.inst.attorneys[a].id for a in near[best].tolist())

    def _detail(self, klass: ChildClass, profile: _Profile, counts: Mapping[str, int]) -> str:
        inst = self.inst
        court = inst.courts[klass.court]
        languages = " or ".join(self.language_name(code) for code in klass.languages)
        case = CASE_TYPE_NAMES[klass.case_type]
        match profile.reason:
            case UnmatchedReason.NO_ATTORNEY_FOR_COURT:
                text = (
                    f"No attorney serves court {court.code}: none lists it, lives within travel "
                    f"range, or takes remote hearings in {court.state}."
                )
            case UnmatchedReason.NO_LANGUAGE:
                text = (
                    f"{counts['serve_court']} attorneys serve {court.code}; none speaks "
                    f"{languages} and no interpreter is available for "
                    f"{self.language_name(klass.languages[0])}."
                )
            case UnmatchedReason.NO_EXPERTISE:
                text = (
                    f"{counts['language']} attorneys serve {court.code} in {languages}; "
                    f"none covers {case}"
                )
                mentored = inst.expertise_rank[klass.case_type][profile.speaking] == 1
                if klass.detained and mentored.any():
                    text += " at a level for detained children (mentored volunteers do not)"
                text += "."
            case UnmatchedReason.DETAINED_NO_ATTORNEY:
                text = (
                    f"Detained: none of the {counts['expertise']} attorneys otherwise suitable "
                    "takes detained cases."
                )
            case UnmatchedReason.ALL_ON_LEAVE:
                text = (
                    f"All {counts['take_detained']} suitable attorneys are on leave on "
                    f"{inst.as_of.isoformat()}."
                )
            case UnmatchedReason.CONFLICTS_OR_REFUSED:
                text = (
                    f"All {counts['not_on_leave']} suitable attorneys have a conflict with this "
                    "child, or the pairing was rejected or declined."
                )
            case UnmatchedReason.ALL_ELIGIBLE_FULL:
                text = f"All {counts['no_conflict']} eligible attorneys are full (no free slots)."
            case UnmatchedReason.TAKEN_BY_MORE_URGENT:
                text = (
                    f"The free slots of all {counts['free_capacity']} eligible attorneys went to "
                    f"{counts['placed_same_or_more_urgent']} children of the same or a more "
                    "urgent tier in this run."
                )
            case _:
                text = (
                    f"{counts['capacity_left_after_run']} eligible attorneys still have free "
                    "slots; the run stopped before placing this child (time limit)."
                )
        return text


def explained_result(
    inst: Instance,
    bonus: IntArray,
    attorney_of: IndexArray,
    *,
    status: SolveStatus,
    bound: Objective | None,
    timings: dict[str, float],
    baseline: Baseline | None = None,
) -> MatchResult:
    """The result of an assignment: objective, counts, proposals and unmatched explained."""
    started = time.perf_counter()
    value = objective(inst, attorney_of, bonus)
    explainer = Explainer(inst, attorney_of)
    proposals, unmatched = explainer.proposals(), explainer.unmatched()
    timings["explain"] = time.perf_counter() - started
    gap = None if bound is None else (bound.units - value.units) / max(1, abs(bound.units))
    return MatchResult(
        status=status,
        proposals=proposals,
        unmatched=unmatched,
        objective=value.points(),
        bound=None if bound is None else bound.points(),
        gap=gap,
        matched_per_tier=value.matched_per_tier,
        eligible_pairs=inst.eligible_pairs,
        timings_s=timings,
        total_fit=value.fit_units / UNITS_PER_POINT,
        children_per_tier=children_per_tier(inst),
        tier_bonus={tier: int(bonus[tier]) / UNITS_PER_POINT for tier in Tier},
        bound_matched_per_tier=None if bound is None else bound.matched_per_tier,
        baseline=baseline,
    )
