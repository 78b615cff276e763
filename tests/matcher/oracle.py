"""An independent reading of DESIGN.md's matching rules, pair by pair in plain Python.

Nothing here calls the engine's eligibility, fit or flow code: the tests compare the engine with
this slow, obvious version (rule checker, fit, brute-force optimum).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator

from matcher.problem import AttorneyInput, ChildInput, MatchProblem
from matcher.result import MatchResult
from matcher.rules import ExpertiseLevel, LanguageLevel, Tier, age_on, tier_for

LANGUAGE_ORDER = {LanguageLevel.WORKING: 1, LanguageLevel.FLUENT: 2, LanguageLevel.NATIVE: 3}
EXPERTISE_ORDER = {
    ExpertiseLevel.MENTORED: 1,
    ExpertiseLevel.EXPERIENCED: 2,
    ExpertiseLevel.EXPERT: 3,
}


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _distance(problem: MatchProblem, child: ChildInput, attorney: AttorneyInput) -> float | None:
    court = next(c for c in problem.courts if c.id == child.court_id)
    if attorney.home_latitude is None or attorney.home_longitude is None:
        return None
    return km_between(
        attorney.home_latitude, attorney.home_longitude, court.latitude, court.longitude
    )


def broken_rules(problem: MatchProblem, child: ChildInput, attorney: AttorneyInput) -> list[str]:
    """The rules (1-6 of DESIGN.md) the pair breaks; empty when eligible."""
    broken = []
    court = next(c for c in problem.courts if c.id == child.court_id)
    distance = _distance(problem, child, attorney)
    serves = (
        court.id in attorney.court_ids
        or (
            distance is not None
            and attorney.travel_radius_km > 0
            and distance <= attorney.travel_radius_km
        )
        or (attorney.remote_ok and court.state in attorney.states_admitted)
    )
    if not serves:
        broken.append("court")
    spoken = {code for code, level in attorney.languages}
    interpreter = child.languages[0] in problem.settings.interpreter_languages
    if not (spoken & set(child.languages)) and not interpreter:
        broken.append("language")
    levels = [level for case, level in attorney.expertise if case == child.case_type]
    acceptable = [
        level
        for level in levels
        if level != ExpertiseLevel.MENTORED
        or not child.detained
        or problem.settings.mentored_for_detained
    ]
    if not acceptable:
        broken.append("expertise")
    if attorney.free_slots <= 0:
        broken.append("capacity")
    if any(start <= problem.as_of <= end for start, end in attorney.leave):
        broken.append("leave")
    pair = (child.id, attorney.id)
    if pair in problem.conflicts or pair in problem.refused:
        broken.append("conflict")
    if child.detained and not attorney.takes_detained:
        broken.append("detained")
    return broken


def pair_fit(problem: MatchProblem, child: ChildInput, attorney: AttorneyInput) -> dict[str, float]:
    """Score parts of an eligible pair, without load, in points; "kept" (the stability bonus)
    when the pair is the child's previous proposal."""
    s = problem.settings
    weight = {
        LanguageLevel.NATIVE: s.language_native,
        LanguageLevel.FLUENT: s.language_fluent,
        LanguageLevel.WORKING: s.language_working,
    }
    options = [weight[level] for code, level in attorney.languages if code in child.languages]
    if child.languages[0] in s.interpreter_languages:
        options.append(s.language_interpreter)
    expertise_weight = {
        ExpertiseLevel.EXPERT: s.expertise_expert,
        ExpertiseLevel.EXPERIENCED: s.expertise_experienced,
        ExpertiseLevel.MENTORED: s.expertise_mentored,
    }
    levels = [level for case, level in attorney.expertise if case == child.case_type]
    best_level = max(levels, key=EXPERTISE_ORDER.__getitem__)
    distance = _distance(problem, child, attorney)
    far = s.distance_cap_km if distance is None else min(distance, s.distance_cap_km)
    parts = {
        "language": max(options),
        "expertise": expertise_weight[best_level],
        "distance": -s.distance_per_100km * far / 100,
        "tender_age": s.tender_age if age_on(child.birth_date, problem.as_of) < 13 else 0.0,
    }
    if problem.stability_bonus and any(
        (p.child_id, p.attorney_id) == (child.id, attorney.id) for p in problem.previous
    ):
        parts["kept"] = problem.stability_bonus
    return parts


def load_cost(problem: MatchProblem, attorney: AttorneyInput, new_cases: int) -> float:
    """The convex load cost of giving `new_cases` cases to the attorney in one run."""
    base = max(0, attorney.current_load)
    return problem.settings.load_per_case * sum(base + k for k in range(new_cases))


def tier_of(problem: MatchProblem, child: ChildInput) -> Tier:
    return tier_for(child.next_hearing_date, child.detained, problem.as_of)


def assignment_key(
    problem: MatchProblem, assignment: dict[int, int]
) -> tuple[int, int, int, int, float]:
    """(T1, T1-T2, T1-T3, all matched, fit) of a child id -> attorney id assignment."""
    children = {c.id: c for c in problem.children}
    attorneys = {a.id: a for a in problem.attorneys}
    tiers = Counter(tier_of(problem, children[c]) for c in assignment)
    fit = sum(
        sum(pair_fit(problem, children[c], attorneys[a]).values()) for c, a in assignment.items()
    )
    for attorney_id, new_cases in Counter(assignment.values()).items():
        fit -= load_cost(problem, attorneys[attorney_id], new_cases)
    return (
        tiers[Tier.T1],
        tiers[Tier.T1] + tiers[Tier.T2],
        tiers[Tier.T1] + tiers[Tier.T2] + tiers[Tier.T3],
        len(assignment),
        fit,
    )


def feasible_assignments(problem: MatchProblem) -> Iterator[dict[int, int]]:
    """Every assignment that keeps all the rules, sibling groups and capacities."""
    children = sorted(problem.children, key=lambda c: c.id)
    options = [
        [None] + [a.id for a in problem.attorneys if not broken_rules(problem, child, a)]
        for child in children
    ]
    capacity = {a.id: a.free_slots for a in problem.attorneys}
    for choice in itertools.product(*options):
        assignment = {c.id: a for c, a in zip(children, choice, strict=True) if a is not None}
        used = Counter(assignment.values())
        if any(used[a] > capacity[a] for a in used):
            continue
        groups: dict[int, set[int | None]] = {}
        for child, attorney in zip(children, choice, strict=True):
            if child.sibling_group is not None:
                groups.setdefault(child.sibling_group, set()).add(attorney)
        if all(len(attorneys) == 1 for attorneys in groups.values()):
            yield assignment


def brute_force_best(problem: MatchProblem) -> tuple[int, int, int, int, float]:
    """The lexicographic optimum over every feasible assignment."""
    return max(assignment_key(problem, a) for a in feasible_assignments(problem))


def result_key(problem: MatchProblem, result: MatchResult) -> tuple[int, int, int, int, float]:
    return assignment_key(problem, {p.child_id: p.attorney_id for p in result.proposals})


def check_rules(problem: MatchProblem, result: MatchResult) -> None:
    """Every proposal keeps every rule; every child is proposed or explained exactly once."""
    children = {c.id: c for c in problem.children}
    attorneys = {a.id: a for a in problem.attorneys}
    proposed = Counter(p.child_id for p in result.proposals)
    assert all(n == 1 for n in proposed.values()), "a child proposed twice"
    unmatched = {u.child_id for u in result.unmatched}
    assert not unmatched & set(proposed), "a child both proposed and unmatched"
    assert unmatched | set(proposed) == set(children), "a child neither proposed nor explained"
    for proposal in result.proposals:
        child, attorney = children[proposal.child_id], attorneys[proposal.attorney_id]
        assert broken_rules(problem, child, attorney) == [], (proposal, "breaks a rule")
        assert proposal.tier == tier_of(problem, child)
        assert math.isclose(proposal.score, sum(proposal.score_parts.values()), abs_tol=1e-6)
        expected = pair_fit(problem, child, attorney)
        assert set(proposal.score_parts) == {*expected, "load"}, proposal
        for part, value in expected.items():
            assert math.isclose(proposal.score_parts[part], value, abs_tol=0.006), (part, proposal)
    per_attorney = Counter(p.attorney_id for p in result.proposals)
    for attorney_id, new_cases in per_attorney.items():
        assert new_cases <= attorneys[attorney_id].free_slots, f"attorney {attorney_id} over"
        loads = sum(p.score_parts["load"] for p in result.proposals if p.attorney_id == attorney_id)
        assert math.isclose(
            -loads, load_cost(problem, attorneys[attorney_id], new_cases), abs_tol=1e-6
        )
    groups: dict[int, set[int | None]] = {}
    placed = {p.child_id: p.attorney_id for p in result.proposals}
    for child in problem.children:
        if child.sibling_group is not None:
            groups.setdefault(child.sibling_group, set()).add(placed.get(child.id))
    for group, where in groups.items():
        assert len(where) == 1, f"sibling group {group} split over {where}"
    for item in result.unmatched:
        assert item.tier == tier_of(problem, children[item.child_id])
        assert "\n" not in item.detail and item.detail
    assert sum(result.matched_per_tier.values()) == len(result.proposals)
    for tier in Tier:
        assert result.matched_per_tier[tier] == sum(1 for p in result.proposals if p.tier == tier)
    assert math.isclose(result.total_fit, sum(p.score for p in result.proposals), abs_tol=1e-6)
