"""Recruitment targets: which one new attorney would match the most unmatched children, urgent
first, as the engine itself finds when it is given that attorney.

A candidate profile is a court, a language and a case type of children left unmatched, with the
levels a recruit would bring (fluent, experienced; taking detained cases where such children
wait) and a number of slots. For each candidate the engine solves the problem again with one
attorney of that profile added, and the gain is what it then matches per tier, less what it
matches without them: never an estimate.

Only the part of the problem the recruit can reach is solved again: the children and attorneys
connected to the recruit through eligibility (a child's classes, its siblings' classes and the
attorneys eligible for them). The engine's objective adds up over parts that share no attorney
and no sibling group, so the gain there is the gain on the whole problem; solving the part with
and without the recruit keeps both sides of the difference from the same engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .eligibility import BoolArray, Instance
from .problem import AttorneyInput, MatchProblem
from .result import MatchResult, SolveStatus
from .rules import CaseType, ExpertiseLevel, LanguageLevel, Tier, tier_for
from .solve import DEFAULT_TIME_LIMIT_S, solve

# A new volunteer's caseload when the caller does not say (the slots of each recruit).
RECRUIT_SLOTS = 3
RECRUIT_LANGUAGE_LEVEL = LanguageLevel.FLUENT
RECRUIT_EXPERTISE = ExpertiseLevel.EXPERIENCED
# Candidates re-solved, the most urgent unmatched groups first.
MAX_CANDIDATES = 12

# The children and attorneys of a part of the problem: its solve without recruits is shared.
PartKey = tuple[frozenset[int], frozenset[int]]


@dataclass(frozen=True, slots=True)
class RecruitProfile:
    """One attorney to recruit: listing one court (admitted in its state), speaking one
    language, covering one case type."""

    court_id: int
    language: str  # ISO 639-3
    case_type: CaseType
    takes_detained: bool = False
    slots: int = RECRUIT_SLOTS
    language_level: LanguageLevel = RECRUIT_LANGUAGE_LEVEL
    expertise: ExpertiseLevel = RECRUIT_EXPERTISE

    def __post_init__(self) -> None:
        if self.slots < 1:
            raise ValueError(f"a recruit takes at least 1 case, not {self.slots}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A profile and the unmatched children of its court, language and case type, per tier."""

    profile: RecruitProfile
    unmatched_per_tier: Mapping[Tier, int]


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The engine's tier counts on the part of the problem the recruits reach, without and
    with them; `gain` is the difference per tier."""

    profiles: tuple[RecruitProfile, ...]
    children: int  # in the part solved again
    attorneys: int  # in that part, before the recruits
    matched_without: Mapping[Tier, int]
    matched_with: Mapping[Tier, int]
    status: SolveStatus  # the weaker of the two solves' statuses

    @property
    def gain(self) -> dict[Tier, int]:
        return {t: self.matched_with.get(t, 0) - self.matched_without.get(t, 0) for t in Tier}


@dataclass(frozen=True, slots=True)
class Target:
    candidate: Candidate
    what_if: WhatIf


def recruit_attorney(
    problem: MatchProblem, profile: RecruitProfile, attorney_id: int
) -> AttorneyInput:
    """The recruit as the engine sees an attorney: no cases yet and no home address (so the
    distance part of the fit counts as far)."""
    court = next((c for c in problem.courts if c.id == profile.court_id), None)
    if court is None:
        raise ValueError(f"recruit profile: no court with id {profile.court_id}")
    return AttorneyInput(
        id=attorney_id,
        languages=((profile.language, profile.language_level),),
        court_ids=(court.id,),
        states_admitted=(court.state,),
        expertise=((profile.case_type, profile.expertise),),
        free_slots=profile.slots,
        takes_detained=profile.takes_detained,
    )


def with_recruits(problem: MatchProblem, profiles: Sequence[RecruitProfile]) -> MatchProblem:
    """The problem with one attorney of each profile added, with ids after every other."""
    first = max((a.id for a in problem.attorneys), default=0) + 1
    recruits = tuple(
        recruit_attorney(problem, profile, first + k) for k, profile in enumerate(profiles)
    )
    return dataclasses.replace(problem, attorneys=(*problem.attorneys, *recruits))


def candidates(
    problem: MatchProblem, unmatched_child_ids: Collection[int], slots: int = RECRUIT_SLOTS
) -> tuple[Candidate, ...]:
    """One candidate per court, primary language and case type of the unmatched children, the
    most urgent first (by their unmatched T1, then T2, ... counts; then court, language, case
    type). A group with a detained child asks for a recruit who takes detained cases."""
    wanted = set(unmatched_child_ids)
    counts: dict[tuple[int, str, CaseType], dict[Tier, int]] = {}
    detained: set[tuple[int, str, CaseType]] = set()
    for child in problem.children:
        if child.id not in wanted:
            continue
        key = (child.court_id, child.languages[0], child.case_type)
        per_tier = counts.setdefault(key, dict.fromkeys(Tier, 0))
        per_tier[tier_for(child.next_hearing_date, child.detained, problem.as_of)] += 1
        if child.detained:
            detained.add(key)

    def urgency(key: tuple[int, str, CaseType]) -> tuple[object, ...]:
        return (*(-counts[key][t] for t in Tier), key[0], key[1], key[2].value)

    return tuple(
        Candidate(
            profile=RecruitProfile(
                court_id=key[0],
                language=key[1],
                case_type=key[2],
                takes_detained=key in detained,
                slots=slots,
            ),
            unmatched_per_tier=counts[key],
        )
        for key in sorted(counts, key=urgency)
    )


def reachable_part(problem: MatchProblem, recruit_ids: Collection[int]) -> MatchProblem:
    """The children and attorneys connected to the recruits (attorney ids of `problem`) through
    eligibility and sibling groups, with the recruits; every court, and the conflicts and
    refusals of those children."""
    inst = Instance(problem)
    recruits = np.array([inst.attorney_index[a] for a in recruit_ids], dtype=np.int64)
    owner, attorney = inst.class_options.owner, inst.class_options.attorney
    sibling_links = _sibling_class_links(inst)
    in_class = np.zeros(len(inst.classes), dtype=np.bool_)
    in_attorney = np.zeros(len(inst.attorneys), dtype=np.bool_)
    in_attorney[recruits] = True
    frontier = in_attorney.copy()
    while frontier.any():
        new_classes = np.zeros(len(inst.classes), dtype=np.bool_)
        new_classes[owner[frontier[attorney]]] = True
        new_classes &= ~in_class
        _close_over_siblings(new_classes, in_class, sibling_links)
        in_class |= new_classes
        frontier = np.zeros(len(inst.attorneys), dtype=np.bool_)
        frontier[attorney[new_classes[owner]]] = True
        frontier &= ~in_attorney
        in_attorney |= frontier
    kept_children = {c.id for i, c in enumerate(inst.children) if in_class[inst.child_class[i]]}
    kept_attorneys = {inst.attorneys[i].id for i in np.flatnonzero(in_attorney)}
    return dataclasses.replace(
        problem,
        children=tuple(c for c in problem.children if c.id in kept_children),
        attorneys=tuple(a for a in problem.attorneys if a.id in kept_attorneys),
        conflicts=frozenset(p for p in problem.conflicts if p[0] in kept_children),
        refused=frozenset(p for p in problem.refused if p[0] in kept_children),
    )


def _sibling_class_links(inst: Instance) -> dict[int, set[int]]:
    """Class -> the other classes its children's siblings belong to."""
    links: dict[int, set[int]] = {}
    for members in inst.groups:
        classes = {int(k) for k in inst.child_class[members]}
        for klass in classes:
            links.setdefault(klass, set()).update(classes - {klass})
    return links


def _close_over_siblings(new: BoolArray, known: BoolArray, links: Mapping[int, set[int]]) -> None:
    stack = [int(k) for k in np.flatnonzero(new)]
    while stack:
        for other in links.get(stack.pop(), ()):
            if not new[other] and not known[other]:
                new[other] = True
                stack.append(other)


def what_if(
    problem: MatchProblem,
    profiles: Sequence[RecruitProfile],
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    _baselines: dict[PartKey, MatchResult] | None = None,
) -> WhatIf:
    """The engine's tier counts with one attorney of each profile added, against without, on
    the part of the problem they reach (each solve within `time_limit_s`)."""
    if not profiles:
        raise ValueError("say which attorneys to recruit: no profile given")
    extended = with_recruits(problem, profiles)
    recruit_ids = {a.id for a in extended.attorneys[len(problem.attorneys) :]}
    part = reachable_part(extended, recruit_ids)
    without = dataclasses.replace(
        part, attorneys=tuple(a for a in part.attorneys if a.id not in recruit_ids)
    )
    key = (frozenset(c.id for c in part.children), frozenset(a.id for a in without.attorneys))
    before = (_baselines or {}).get(key)
    if before is None:
        before = solve(without, time_limit_s=time_limit_s)
        if _baselines is not None:
            _baselines[key] = before
    after = solve(part, time_limit_s=time_limit_s)
    proven = before.status == after.status == SolveStatus.OPTIMAL
    return WhatIf(
        profiles=tuple(profiles),
        children=len(part.children),
        attorneys=len(without.attorneys),
        matched_without=dict(before.matched_per_tier),
        matched_with=dict(after.matched_per_tier),
        status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
    )


def recruitment_targets(
    problem: MatchProblem,
    unmatched_child_ids: Collection[int],
    *,
    slots: int = RECRUIT_SLOTS,
    max_candidates: int = MAX_CANDIDATES,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> tuple[Target, ...]:
    """The most urgent candidates, each re-solved with its recruit, ordered by the engine's
    gain (more T1 first, then T2, ...), then by urgency. Candidates that gain nothing are kept
    (at the end): a lead sees that recruiting there alone would not help."""
    baselines: dict[PartKey, MatchResult] = {}
    found = [
        Target(
            candidate,
            what_if(problem, [candidate.profile], time_limit_s=time_limit_s, _baselines=baselines),
        )
        for candidate in candidates(problem, unmatched_child_ids, slots)[:max_candidates]
    ]
    order = {id(target): n for n, target in enumerate(found)}
    return tuple(
        sorted(
            found,
            key=lambda t: (*(-t.what_if.gain[tier] for tier in Tier), order[id(t)]),
        )
    )
