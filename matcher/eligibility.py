"""Eligibility rules 1-6 and the fit of every eligible pair, vectorised over attorneys.

Children with the same court, languages, case type and detention share one eligibility profile
(a class): each class's eligible attorneys and their attorney-side fit are computed once with numpy
masks, never pair by pair. Conflicts and refusals (few) are subtracted per child afterwards.
Everything is in canonical order (by id), so the same data in any order gives the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from .problem import AttorneyInput, ChildInput, CourtInput, MatchProblem, MatchSettings
from .rules import (
    TENDER_AGE_UNDER_YEARS,
    CaseType,
    ExpertiseLevel,
    LanguageLevel,
    PairRule,
    Tier,
    age_on,
    tier_for,
)

# Fit is computed in integer units (1/100 point) so that the flow and CP-SAT costs are exact.
UNITS_PER_POINT = 100
EARTH_RADIUS_KM = 6371.0088

LANGUAGE_RANK = {LanguageLevel.WORKING: 1, LanguageLevel.FLUENT: 2, LanguageLevel.NATIVE: 3}
EXPERTISE_RANK = {
    ExpertiseLevel.MENTORED: 1,
    ExpertiseLevel.EXPERIENCED: 2,
    ExpertiseLevel.EXPERT: 3,
}

# How an attorney handles a court (rule 1), in the order the rule lists them.
COURT_NONE, COURT_LISTED, COURT_RADIUS, COURT_REMOTE = 0, 1, 2, 3

IntArray = NDArray[np.int64]
IndexArray = NDArray[np.int32]
BoolArray = NDArray[np.bool_]


def units(points: float) -> int:
    return round(points * UNITS_PER_POINT)


def haversine_km(
    lat1: float | NDArray[np.float64],
    lon1: float | NDArray[np.float64],
    lat2: float | NDArray[np.float64],
    lon2: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance in km; NaN where a coordinate is unknown."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@dataclass(frozen=True, slots=True)
class LanguageProfile:
    """What each attorney offers a child who speaks `languages` (primary first)."""

    ok: BoolArray
    fit_units: IntArray
    spoken: NDArray[np.int8]  # position in `languages` of the language used; -1: interpreter


@dataclass(frozen=True, slots=True)
class OptionTable:
    """The eligible attorneys of several owners (profiles, groups) in one set of arrays: owners
    ascending, and each owner's attorneys ascending, as the flow's arcs need them."""

    owner: IndexArray
    attorney: IndexArray
    units: IntArray  # attorney-side fit units of the pair

    @staticmethod
    def of(options: list[tuple[IndexArray, IntArray]]) -> OptionTable:
        sizes = [len(attorneys) for attorneys, _ in options]
        if not options:
            none = np.zeros(0, dtype=np.int32)
            return OptionTable(none, none, np.zeros(0, dtype=np.int64))
        return OptionTable(
            owner=np.repeat(np.arange(len(options), dtype=np.int32), sizes),
            attorney=np.concatenate([a for a, _ in options], dtype=np.int32),
            units=np.concatenate([u for _, u in options], dtype=np.int64),
        )


@dataclass(frozen=True, slots=True)
class ChildClass:
    court: int  # court index
    languages: tuple[str, ...]  # primary first, then the others sorted
    case_type: CaseType
    detained: bool
    attorneys: IndexArray  # eligible attorney indices, ascending, before conflicts and refusals
    attorney_units: IntArray  # language + expertise + distance fit units, aligned with attorneys


def _check_unique(kind: str, ids: list[int]) -> None:
    seen: set[int] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"MatchProblem.{kind}: id {item} appears twice; ids must be unique")
        seen.add(item)


class Instance:
    """A problem in canonical order with its eligibility classes and fit arrays."""

    def __init__(self, problem: MatchProblem) -> None:
        self.problem = problem
        self.settings: MatchSettings = problem.settings
        self.as_of: date = problem.as_of
        self.courts: tuple[CourtInput, ...] = tuple(sorted(problem.courts, key=lambda c: c.id))
        self.children: tuple[ChildInput, ...] = tuple(sorted(problem.children, key=lambda c: c.id))
        self.attorneys: tuple[AttorneyInput, ...] = tuple(
            sorted(problem.attorneys, key=lambda a: a.id)
        )
        _check_unique("courts", [c.id for c in self.courts])
        _check_unique("children", [c.id for c in self.children])
        _check_unique("attorneys", [a.id for a in self.attorneys])
        self.court_index = {court.id: i for i, court in enumerate(self.courts)}
        self.child_index = {child.id: i for i, child in enumerate(self.children)}
        self.attorney_index = {attorney.id: i for i, attorney in enumerate(self.attorneys)}
        self._index_attorneys()
        self._index_children()
        self._index_exclusions()
        self._index_kept()
        self._build_classes()
        self._restrict_siblings()
        self._index_flow_profiles()
        self._index_hubs()

    # -- attorneys -------------------------------------------------------------------------

    def _index_attorneys(self) -> None:
        s = self.settings
        attorneys = self.attorneys
        n = len(attorneys)
        self.free_slots: IntArray = np.array(
            [max(0, a.free_slots) for a in attorneys], dtype=np.int64
        ).reshape(n)
        self.current_load: IntArray = np.array(
            [max(0, a.current_load) for a in attorneys], dtype=np.int64
        ).reshape(n)
        self.on_leave: BoolArray = np.array(
            [any(start <= self.as_of <= end for start, end in a.leave) for a in attorneys],
            dtype=np.bool_,
        ).reshape(n)
        self.takes_detained: BoolArray = np.array(
            [a.takes_detained for a in attorneys], dtype=np.bool_
        ).reshape(n)
        self.available: BoolArray = (self.free_slots > 0) & ~self.on_leave

        home_lat = np.array(
            [np.nan if a.home_latitude is None else a.home_latitude for a in attorneys],
            dtype=np.float64,
        ).reshape(n)
        home_lon = np.array(
            [np.nan if a.home_longitude is None else a.home_longitude for a in attorneys],
            dtype=np.float64,
        ).reshape(n)
        radius = np.array([a.travel_radius_km for a in attorneys], dtype=np.float64).reshape(n)

        admitted: dict[str, BoolArray] = {}
        for ai, attorney in enumerate(attorneys):
            if attorney.remote_ok:
                for state in attorney.states_admitted:
                    admitted.setdefault(state, np.zeros(n, dtype=np.bool_))[ai] = True
        no_state = np.zeros(n, dtype=np.bool_)
        n_courts = len(self.courts)
        self.distance_km = np.full((n_courts, n), np.nan)
        self.court_mode = np.zeros((n_courts, n), dtype=np.int8)
        for ci, court in enumerate(self.courts):
            distance = haversine_km(home_lat, home_lon, court.latitude, court.longitude)
            self.distance_km[ci] = distance
            mode = np.where(admitted.get(court.state, no_state), COURT_REMOTE, COURT_NONE)
            # A radius of 0 km means the attorney does not travel, even to a court next door.
            with np.errstate(invalid="ignore"):
                mode = np.where((radius > 0) & (distance <= radius), COURT_RADIUS, mode)
            self.court_mode[ci] = mode
        for ai, attorney in enumerate(attorneys):
            for court_id in attorney.court_ids:
                listed = self.court_index.get(court_id)
                if listed is not None:
                    self.court_mode[listed, ai] = COURT_LISTED
        far = np.where(np.isnan(self.distance_km), s.distance_cap_km, self.distance_km)
        self.distance_units: NDArray[np.int64] = -np.rint(
            s.distance_per_100km * np.minimum(far, s.distance_cap_km)
        ).astype(np.int64)

        self.language_rank: dict[str, NDArray[np.int8]] = {}
        self.expertise_rank: dict[CaseType, NDArray[np.int8]] = {
            case: np.zeros(n, dtype=np.int8) for case in CaseType
        }
        for ai, attorney in enumerate(attorneys):
            for code, level in attorney.languages:
                ranks = self.language_rank.setdefault(code, np.zeros(n, dtype=np.int8))
                ranks[ai] = max(ranks[ai], LANGUAGE_RANK[LanguageLevel(level)])
            for case, expertise in attorney.expertise:
                ranks = self.expertise_rank[CaseType(case)]
                ranks[ai] = max(ranks[ai], EXPERTISE_RANK[ExpertiseLevel(expertise)])
        self.language_level_units = np.array(
            [0, units(s.language_working), units(s.language_fluent), units(s.language_native)],
            dtype=np.int64,
        )
        self._expertise_units = np.array(
            [
                0,
                units(s.expertise_mentored),
                units(s.expertise_experienced),
                units(s.expertise_expert),
            ],
            dtype=np.int64,
        )
        self._expertise_fit: dict[CaseType, IntArray] = {
            case: self._expertise_units[ranks] for case, ranks in self.expertise_rank.items()
        }
        self.load_units_per_case = units(s.load_per_case)
        self._language_cache: dict[tuple[str, ...], LanguageProfile] = {}

    def language_profile(self, languages: tuple[str, ...]) -> LanguageProfile:
        """Rule 2 and the language fit for a child speaking `languages` (primary first)."""
        cached = self._language_cache.get(languages)
        if cached is not None:
            return cached
        n = len(self.attorneys)
        # The best weighted shared language (weights are settings: not always native > working).
        fit = np.full(n, -1, dtype=np.int64)
        spoken = np.full(n, -1, dtype=np.int8)
        for position, code in enumerate(languages):
            ranks = self.language_rank.get(code)
            if ranks is None:
                continue
            candidate = np.where(ranks > 0, self.language_level_units[ranks], -1)
            better = candidate > fit
            fit = np.where(better, candidate, fit)
            spoken = np.where(better, position, spoken).astype(np.int8)
        ok = spoken >= 0
        if languages[0] in self.settings.interpreter_languages:
            interpreter = units(self.settings.language_interpreter)
            interpreted = interpreter > fit
            fit = np.where(interpreted, interpreter, fit)
            spoken = np.where(interpreted, -1, spoken).astype(np.int8)
            ok = np.ones(n, dtype=np.bool_)
        profile = LanguageProfile(ok=ok, fit_units=np.where(ok, fit, 0), spoken=spoken)
        self._language_cache[languages] = profile
        return profile

    def expertise_ok(self, case_type: CaseType, detained: bool) -> BoolArray:
        """Rule 3: `mentored` covers a case only for a child who is not detained (a setting)."""
        ranks = self.expertise_rank[case_type]
        lowest = 1 if (not detained or self.settings.mentored_for_detained) else 2
        result: BoolArray = ranks >= lowest
        return result

    def expertise_units(self, case_type: CaseType) -> IntArray:
        return self._expertise_fit[case_type]

    def detained_ok(self, detained: bool) -> BoolArray:
        """Rule 6."""
        if detained:
            return self.takes_detained
        return np.ones(len(self.attorneys), dtype=np.bool_)

    def load_cost_units(self, attorney: int, kth_new_case: int) -> int:
        """Cost of the attorney's k-th new case in this run (k from 1): convex in k."""
        return self.load_units_per_case * int(self.current_load[attorney] + kth_new_case - 1)

    # -- children --------------------------------------------------------------------------

    def _index_children(self) -> None:
        s = self.settings
        children = self.children
        n = len(children)
        for child in children:
            if child.court_id not in self.court_index:
                raise ValueError(
                    f"child {child.id}: court_id {child.court_id} is not among the problem's "
                    "courts; add the court to MatchProblem.courts or correct the child's court"
                )
            if not child.languages:
                raise ValueError(
                    f"child {child.id}: no language; every child needs a primary language"
                )
        self.tier: NDArray[np.int8] = np.array(
            [tier_for(c.next_hearing_date, c.detained, self.as_of) for c in children],
            dtype=np.int8,
        ).reshape(n)
        self.tender: BoolArray = np.array(
            [age_on(c.birth_date, self.as_of) < TENDER_AGE_UNDER_YEARS for c in children],
            dtype=np.bool_,
        ).reshape(n)
        self.tender_age_units = units(s.tender_age)
        self.tender_units: IntArray = np.where(self.tender, self.tender_age_units, 0).astype(
            np.int64
        )
        # Among equally good children, the earlier hearing is placed first; no date sorts last.
        self.hearing_key: IntArray = np.array(
            [
                c.next_hearing_date.toordinal() if c.next_hearing_date else date.max.toordinal()
                for c in children
            ],
            dtype=np.int64,
        ).reshape(n)
        by_group: dict[int, list[int]] = {}
        for i, child in enumerate(children):
            if child.sibling_group is not None:
                by_group.setdefault(child.sibling_group, []).append(i)
        self.group_of: IndexArray = np.full(n, -1, dtype=np.int32)
        self.groups: list[IndexArray] = []
        for key in sorted(by_group):
            members = by_group[key]
            if len(members) < 2:  # a group of one is just a child
                continue
            self.group_of[members] = len(self.groups)
            self.groups.append(np.array(members, dtype=np.int32))

    def _by_child(self, pairs: frozenset[tuple[int, int]]) -> dict[int, IndexArray]:
        """(child id, attorney id) pairs as child index -> attorney indices, ascending."""
        found: dict[int, set[int]] = {}
        for child_id, attorney_id in pairs:
            ci = self.child_index.get(child_id)
            ai = self.attorney_index.get(attorney_id)
            if ci is not None and ai is not None:
                found.setdefault(ci, set()).add(ai)
        return {ci: np.array(sorted(ais), dtype=np.int32) for ci, ais in sorted(found.items())}

    def _index_exclusions(self) -> None:
        problem = self.problem
        # child index -> attorney indices it may never be paired with (rule 5), and why
        self.conflicted: dict[int, IndexArray] = self._by_child(problem.conflicts)
        self.refused: dict[int, IndexArray] = self._by_child(problem.refused)
        self.excluded: dict[int, IndexArray] = self._by_child(problem.conflicts | problem.refused)

    def _index_kept(self) -> None:
        """The previous proposals whose child and attorney are both in this problem. The bonus
        is added to a pair's fit only where the pair is eligible (`rule_eligible`, `pair_units`):
        the rules decide eligibility, never the bonus. A bonus of 0 keeps nothing."""
        self.kept_units = units(self.problem.stability_bonus)
        # child index -> attorney index of its previous proposal, -1 for none
        self.kept_of: IndexArray = np.full(len(self.children), -1, dtype=np.int32)
        # child index -> the run that first proposed the pair
        self.kept_from_run: dict[int, int] = {}
        if self.kept_units > 0:
            for proposal in self.problem.previous:
                ci = self.child_index.get(proposal.child_id)
                ai = self.attorney_index.get(proposal.attorney_id)
                if ci is not None and ai is not None:
                    self.kept_of[ci] = ai
                    self.kept_from_run[ci] = proposal.run_id
        # Children whose fit is their own, so they are never pooled with others of their class:
        # a conflict, a refusal, or a proposal to keep.
        self.on_own: frozenset[int] = frozenset(self.excluded) | frozenset(self.kept_from_run)

    def kept_units_of(self, children: IndexArray, attorneys: IndexArray) -> IntArray:
        """The stability bonus units of pairs (children[i], attorneys[i]): the bonus where the
        pair is the child's previous proposal, else 0."""
        result: IntArray = np.where(self.kept_of[children] == attorneys, self.kept_units, 0)
        return result.astype(np.int64)

    def tier_of(self, child: int) -> Tier:
        return Tier(int(self.tier[child]))

    # -- the rules one by one ---------------------------------------------------------------

    def class_passes(self, klass: ChildClass) -> dict[PairRule, BoolArray]:
        """Which attorneys pass each rule for a child of the class, in rule order. Conflicts and
        refusals are the child's own: everyone passes them here (see `child_passes`)."""
        everyone = np.ones(len(self.attorneys), dtype=np.bool_)
        by_rule = {
            PairRule.COURT: self.court_mode[klass.court] != COURT_NONE,
            PairRule.LANGUAGE: self.language_profile(klass.languages).ok,
            PairRule.EXPERTISE: self.expertise_ok(klass.case_type, klass.detained),
            PairRule.DETAINED: self.detained_ok(klass.detained),
            PairRule.ON_LEAVE: ~self.on_leave,
            PairRule.CONFLICT: everyone,
            PairRule.REFUSED_BEFORE: everyone,
            PairRule.NO_FREE_SLOT: self.free_slots > 0,
        }
        return {rule: by_rule[rule] for rule in PairRule}

    def child_passes(
        self, child: int, class_passes: dict[PairRule, BoolArray] | None = None
    ) -> dict[PairRule, BoolArray]:
        """Which attorneys pass each rule for the child, in rule order: its class's verdicts
        (`class_passes`, computed here when not given) with the child's conflicts and refusals."""
        if class_passes is None:
            class_passes = self.class_passes(self.classes[self.child_class[child]])
        result = dict(class_passes)
        for rule, by_child in (
            (PairRule.CONFLICT, self.conflicted),
            (PairRule.REFUSED_BEFORE, self.refused),
        ):
            attorneys = by_child.get(child)
            if attorneys is not None:
                passes = np.ones(len(self.attorneys), dtype=np.bool_)
                passes[attorneys] = False
                result[rule] = passes
        return result

    # -- classes ---------------------------------------------------------------------------

    def class_key(self, child: ChildInput) -> tuple[int, tuple[str, ...], CaseType, bool]:
        primary = child.languages[0]
        others = tuple(sorted(set(child.languages[1:]) - {primary}))
        return (
            self.court_index[child.court_id],
            (primary, *others),
            CaseType(child.case_type),
            child.detained,
        )

    def _build_classes(self) -> None:
        keys: dict[tuple[int, tuple[str, ...], CaseType, bool], int] = {}
        child_class = np.empty(len(self.children), dtype=np.int32)
        for i, child in enumerate(self.children):
            child_class[i] = keys.setdefault(self.class_key(child), len(keys))
        self.child_class: IndexArray = child_class
        base_cache: dict[tuple[int, CaseType, bool], tuple[BoolArray, IntArray]] = {}
        self.classes: list[ChildClass] = []
        for court, languages, case_type, detained in keys:
            base = base_cache.get((court, case_type, detained))
            if base is None:
                mask = (
                    (self.court_mode[court] != COURT_NONE)
                    & self.expertise_ok(case_type, detained)
                    & self.detained_ok(detained)
                    & self.available
                )
                fit = self.expertise_units(case_type) + self.distance_units[court]
                base = (mask, fit)
                base_cache[(court, case_type, detained)] = base
            language = self.language_profile(languages)
            eligible = np.flatnonzero(base[0] & language.ok).astype(np.int32)
            self.classes.append(
                ChildClass(
                    court=court,
                    languages=languages,
                    case_type=case_type,
                    detained=detained,
                    attorneys=eligible,
                    attorney_units=(base[1][eligible] + language.fit_units[eligible]).astype(
                        np.int64
                    ),
                )
            )
        self.class_options = OptionTable.of(
            [(klass.attorneys, klass.attorney_units) for klass in self.classes]
        )
        # sorted, since owners ascend and each owner's attorneys ascend
        self._class_option_keys = (
            self.class_options.owner.astype(np.int64) * len(self.attorneys)
            + self.class_options.attorney
        )
        sizes = np.array([len(c.attorneys) for c in self.classes], dtype=np.int64)
        pairs = int(sizes[child_class].sum()) if len(child_class) else 0
        for ci, attorneys in self.excluded.items():
            pairs -= int(np.isin(attorneys, self.classes[child_class[ci]].attorneys).sum())
        self.eligible_pairs = pairs

    def _restrict_siblings(self) -> None:
        """A sibling can only go where the whole group can: to an attorney eligible for every
        member with free places for all of them. Every assignment that keeps siblings together
        respects this, so the flow relaxation stays a relaxation, and a tighter one.

        Kept per group, not per member (a member's options are cut from its own on demand): at
        250,000 children per-member copies would take hundreds of MB. A group whose members share
        a class and have no exclusions (nearly all) has its class's attorneys: no intersection.
        """
        self.group_attorneys: list[IndexArray] = []
        self.group_shares_class: list[bool] = []
        for members in self.groups:
            klass = self.child_class[members]
            shared = bool((klass == klass[0]).all()) and not any(
                child in self.excluded for child in members.tolist()
            )
            if shared:
                common = self.classes[klass[0]].attorneys
            else:
                common = self.rule_eligible(int(members[0]))[0]
                for child in members[1:].tolist():
                    common = np.intersect1d(
                        common, self.rule_eligible(child)[0], assume_unique=True
                    )
            self.group_attorneys.append(common[self.free_slots[common] >= len(members)])
            self.group_shares_class.append(shared)

    def _index_flow_profiles(self) -> None:
        """Classes the flow cannot tell apart share one node: same court, case type and
        detention, and languages giving every attorney the same eligibility and fit (a second
        language nobody speaks changes nothing)."""
        language_ids: dict[bytes, int] = {}
        # Many classes share their languages: each distinct set is compared once.
        language_of: dict[tuple[str, ...], int] = {}
        keys: dict[tuple[int, CaseType, bool, int], int] = {}
        self.flow_profile_of_class: IndexArray = np.empty(len(self.classes), dtype=np.int32)
        self.class_of_flow_profile: list[int] = []
        for k, klass in enumerate(self.classes):
            language = language_of.get(klass.languages, -1)
            if language < 0:
                profile = self.language_profile(klass.languages)
                language = language_ids.setdefault(
                    profile.ok.tobytes() + profile.fit_units.tobytes(), len(language_ids)
                )
                language_of[klass.languages] = language
            key = (klass.court, klass.case_type, klass.detained, language)
            if key not in keys:
                keys[key] = len(keys)
                self.class_of_flow_profile.append(k)
            self.flow_profile_of_class[k] = keys[key]
        self.profile_options = OptionTable.of(
            [
                (self.classes[k].attorneys, self.classes[k].attorney_units)
                for k in self.class_of_flow_profile
            ]
        )

    def _index_hubs(self) -> None:
        """A sibling group whose members share a class enters the flow as one hub, with the
        group's attorneys and their attorney-side fit."""
        self.hub_group: BoolArray = np.array(
            [
                len(np.unique(self.child_class[members])) == 1
                and not (self.kept_of[members] >= 0).any()
                for members in self.groups
            ],
            dtype=np.bool_,
        ).reshape(len(self.groups))
        options: list[tuple[IndexArray, IntArray]] = []
        for g, members in enumerate(self.groups):
            if self.hub_group[g]:
                attorneys, fit = self.eligible(int(members[0]))
                options.append((attorneys, fit - self.tender_units[members[0]]))
            else:
                options.append((np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)))
        self.hub_options = OptionTable.of(options)

    def eligible(self, child: int) -> tuple[IndexArray, IntArray]:
        """The attorneys the child may be given and the pair fit units, without load: rules 1-6,
        and for a sibling, only attorneys who could take the whole group."""
        attorneys, fit = self.rule_eligible(child)
        group = int(self.group_of[child])
        if group < 0:
            return attorneys, fit
        if self.group_shares_class[group]:
            keep = self.free_slots[attorneys] >= len(self.groups[group])
        else:
            keep = np.isin(attorneys, self.group_attorneys[group], assume_unique=True)
        return attorneys[keep], fit[keep]

    def rule_eligible(self, child: int) -> tuple[IndexArray, IntArray]:
        """The child's eligible attorneys (rules 1-6) and their pair fit units, without load."""
        klass = self.classes[self.child_class[child]]
        attorneys, fit = klass.attorneys, klass.attorney_units + self.tender_units[child]
        excluded = self.excluded.get(child)
        if excluded is not None:
            keep = ~np.isin(attorneys, excluded)
            attorneys, fit = attorneys[keep], fit[keep]
        if self.kept_of[child] >= 0:
            fit = fit + np.where(attorneys == self.kept_of[child], self.kept_units, 0)
        return attorneys, fit

    def is_eligible_pair(self, children: IndexArray, attorneys: IntArray) -> BoolArray:
        """Whether each (children[i], attorneys[i]) passes rules 1-6 for a child with no
        conflict or refusal (the class's attorneys; exclusions are not looked at)."""
        keys = self._class_option_keys
        wanted = self.child_class[children].astype(np.int64) * len(self.attorneys) + attorneys
        position = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        found: BoolArray = (
            keys[position] == wanted if len(keys) else np.zeros(len(wanted), dtype=np.bool_)
        )
        return found

    def pair_units(self, children: IndexArray, attorneys: IndexArray) -> IntArray:
        """Fit units of eligible pairs (children[i], attorneys[i]), without load, with the
        stability bonus where a pair is kept."""
        table = self.class_options
        wanted = self.child_class[children].astype(np.int64) * len(self.attorneys) + attorneys
        position = np.searchsorted(self._class_option_keys, wanted)
        result: IntArray = table.units[position] + self.tender_units[children]
        if self.kept_from_run:
            result = result + self.kept_units_of(children, attorneys)
        return result
