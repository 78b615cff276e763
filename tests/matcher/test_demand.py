"""Capacity against demand: each group of unmatched children against the attorneys the engine's
rules allow them and those attorneys' free slots, on hand-built problems and checked against the
independent rule checker on random ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.demand import demand_by_group
from matcher.problem import MatchProblem
from matcher.result import MatchResult, UnmatchedReason
from matcher.rules import Tier

from .builders import AS_OF, HOU, NYC, SIJS, attorney, child, problem, solved
from .oracle import broken_rules
from .strategies import CROWDED, VARIED, problems

# Rules a group's eligibility leaves out: a child's own conflicts and refusals, and capacity.
NOT_GROUP_RULES = {"conflict", "capacity"}


def _groups(match_problem: MatchProblem, result: MatchResult) -> dict[tuple, object]:
    return {
        (g.court_id, g.language, g.case_type): g for g in demand_by_group(match_problem, result)
    }


def test_a_language_nobody_speaks_is_a_group_with_no_eligible_attorney():
    mam = [child(i, court=HOU, languages=("mam",), hearing_in_days=5) for i in (1, 2, 3)]
    spanish = child(4, court=HOU, hearing_in_days=5)
    houston = attorney(10, courts=(HOU,), home=HOU, free=3)
    new_york = attorney(11, free=2)
    match_problem = problem([*mam, spanish], [houston, new_york])
    result = solved(match_problem)
    assert {p.child_id for p in result.proposals} == {4}
    groups = _groups(match_problem, result)
    assert set(groups) == {(HOU.id, "mam", None), (HOU.id, "mam", mam[0].case_type)}
    houston_mam = groups[(HOU.id, "mam", None)]
    assert houston_mam.unmatched_per_tier == {Tier.T1: 3}
    assert houston_mam.reasons == {UnmatchedReason.NO_LANGUAGE: 3}
    assert (houston_mam.eligible_attorneys, houston_mam.free_slots) == (0, 0)


def test_full_attorneys_count_as_eligible_with_the_slots_the_run_left():
    children = [child(i, hearing_in_days=5 * i) for i in (1, 2, 3)]
    one_slot = attorney(10, free=1)
    two_slots = attorney(11, free=2)
    full = attorney(12, free=0)
    on_leave = attorney(13, free=4, leave=((AS_OF, AS_OF),))
    more = [child(i, hearing_in_days=40) for i in (4, 5)]
    match_problem = problem([*children, *more], [one_slot, two_slots, full, on_leave])
    result = solved(match_problem)
    assert len(result.proposals) == 3
    group = _groups(match_problem, result)[(NYC.id, "spa", None)]
    assert group.unmatched == 2
    # on leave: not eligible; full: eligible, no slot; the others' 3 slots went to this run
    assert group.eligible_attorneys == 3
    assert (group.free_slots, group.free_slots_after_run) == (3, 0)


def test_case_type_groups_split_a_court_and_language():
    children = [child(1, case_type=SIJS), child(2), child(3, case_type=SIJS)]
    asylum_only = attorney(10, free=0)
    match_problem = problem(children, [asylum_only])
    result = solved(match_problem)
    groups = _groups(match_problem, result)
    assert groups[(NYC.id, "spa", None)].unmatched == 3
    assert groups[(NYC.id, "spa", None)].eligible_attorneys == 1
    assert groups[(NYC.id, "spa", SIJS)].unmatched == 2
    assert groups[(NYC.id, "spa", SIJS)].eligible_attorneys == 0
    assert groups[(NYC.id, "spa", SIJS)].reasons == {UnmatchedReason.NO_EXPERTISE: 2}


def test_nobody_unmatched_gives_no_group():
    match_problem = problem([child(1)], [attorney(10)])
    assert demand_by_group(match_problem, solved(match_problem)) == ()


@given(st.one_of(problems(VARIED), problems(CROWDED)))
@settings(max_examples=150, deadline=None)
def test_groups_agree_with_the_independent_rule_checker(match_problem):
    result = solved(match_problem)
    unmatched = {u.child_id: u for u in result.unmatched}
    children = {c.id: c for c in match_problem.children}
    proposed: dict[int, int] = {}
    for proposal in result.proposals:
        proposed[proposal.attorney_id] = proposed.get(proposal.attorney_id, 0) + 1
    groups = demand_by_group(match_problem, result)
    seen = set()
    for group in groups:
        members = [
            children[i]
            for i in unmatched
            if children[i].court_id == group.court_id
            and children[i].languages[0] == group.language
            and group.case_type in (None, children[i].case_type)
        ]
        assert members, group
        seen.update(c.id for c in members if group.case_type is None)
        assert group.unmatched == len(members)
        assert sum(group.reasons.values()) == len(members)
        eligible = [
            a
            for a in match_problem.attorneys
            if any(set(broken_rules(match_problem, c, a)) <= NOT_GROUP_RULES for c in members)
        ]
        assert group.eligible_attorneys == len(eligible)
        assert group.free_slots == sum(max(a.free_slots, 0) for a in eligible)
        assert group.free_slots_after_run == sum(
            max(max(a.free_slots, 0) - proposed.get(a.id, 0), 0) for a in eligible
        )
    assert seen == set(unmatched)
