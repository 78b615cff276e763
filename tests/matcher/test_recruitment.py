"""Recruitment targets: the engine's gain from one more attorney, on hand-built problems, and on
random ones against brute force over the whole problem with and without the recruit (so the
part solved again is checked to give the whole problem's gain)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.problem import MatchProblem
from matcher.recruitment import (
    RecruitProfile,
    candidates,
    reachable_part,
    recruitment_targets,
    what_if,
    with_recruits,
)
from matcher.result import SolveStatus
from matcher.rules import CaseType, Tier

from .builders import BAL, EXPERT, HOU, NYC, SIJS, attorney, child, problem, solved
from .oracle import feasible_assignments, tier_of
from .strategies import CROWDED, VARIED, problems


def unmatched_ids(match_problem: MatchProblem) -> list[int]:
    return [u.child_id for u in solved(match_problem).unmatched]


def houston_and_new_york() -> MatchProblem:
    """Houston: 4 Mam asylum children (3 urgent), nobody speaks Mam; 2 Spanish SIJS children
    (not urgent), one attorney with one slot. New York: a child and its attorney."""
    mam = [child(i, court=HOU, languages=("mam",), hearing_in_days=5) for i in (1, 2, 3)]
    mam.append(child(4, court=HOU, languages=("mam",)))
    spanish = [child(i, court=HOU, case_type=SIJS, hearing_in_days=60) for i in (5, 6)]
    houston = attorney(10, courts=(HOU,), home=HOU, expertise=((SIJS, EXPERT),))
    return problem(
        [*mam, *spanish, child(7)],
        [houston, attorney(11)],
    )


def test_candidates_are_the_unmatched_groups_most_urgent_first():
    match_problem = houston_and_new_york()
    found = candidates(match_problem, unmatched_ids(match_problem))
    assert [(c.profile.court_id, c.profile.language, c.profile.case_type) for c in found] == [
        (HOU.id, "mam", CaseType.ASYLUM),
        (HOU.id, "spa", SIJS),
    ]
    assert found[0].unmatched_per_tier == {Tier.T1: 3, Tier.T2: 0, Tier.T3: 0, Tier.T4: 1}
    assert found[1].unmatched_per_tier[Tier.T3] == 1


def test_a_recruit_gains_what_the_engine_then_matches_urgent_first():
    match_problem = houston_and_new_york()
    targets = recruitment_targets(match_problem, unmatched_ids(match_problem), slots=3)
    best, second = targets
    assert best.candidate.profile.language == "mam"
    assert best.what_if.gain == {Tier.T1: 3, Tier.T2: 0, Tier.T3: 0, Tier.T4: 0}
    assert second.what_if.gain == {Tier.T1: 0, Tier.T2: 0, Tier.T3: 1, Tier.T4: 0}
    assert best.what_if.status == SolveStatus.OPTIMAL
    # Only the Mam children are solved again: no attorney of theirs, nothing else in reach.
    assert best.what_if.children == 4 and best.what_if.attorneys == 0
    assert second.what_if.children == 2 and second.what_if.attorneys == 1


def test_what_if_several_recruits_adds_their_gains_where_they_do_not_compete():
    match_problem = houston_and_new_york()
    mam = RecruitProfile(HOU.id, "mam", CaseType.ASYLUM, slots=4)
    spanish = RecruitProfile(HOU.id, "spa", SIJS, slots=1)
    both = what_if(match_problem, [mam, spanish])
    assert both.gain == {Tier.T1: 3, Tier.T2: 0, Tier.T3: 1, Tier.T4: 1}
    assert both.matched_with[Tier.T3] == 2


def test_a_detained_child_asks_for_a_recruit_taking_detained_cases():
    match_problem = problem([child(1, court=BAL, detained=True)], [])
    (found,) = candidates(match_problem, [1])
    assert found.profile.takes_detained
    assert what_if(match_problem, [found.profile]).gain[Tier.T1] == 1
    not_detained = RecruitProfile(BAL.id, "spa", CaseType.ASYLUM, takes_detained=False)
    assert what_if(match_problem, [not_detained]).gain[Tier.T1] == 0


def test_the_part_solved_again_follows_attorneys_and_siblings():
    # Child 1 (Houston) and child 2 (Houston, SIJS) share attorney 10; child 3 is child 2's
    # sibling in Baltimore with its own attorney 12; New York (child 4, attorney 11) is apart.
    kids = [
        child(1, court=HOU),
        child(2, court=HOU, case_type=SIJS, sibling_group=9),
        child(3, court=BAL, sibling_group=9),
        child(4),
    ]
    lawyers = [
        attorney(
            10, courts=(HOU,), home=HOU, expertise=((CaseType.ASYLUM, EXPERT), (SIJS, EXPERT))
        ),
        attorney(11),
        attorney(12, courts=(BAL,), home=BAL),
    ]
    extended = with_recruits(
        problem(kids, lawyers), [RecruitProfile(HOU.id, "spa", CaseType.ASYLUM)]
    )
    part = reachable_part(extended, {13})
    assert {c.id for c in part.children} == {1, 2, 3}
    assert {a.id for a in part.attorneys} == {10, 12, 13}


def test_a_recruit_needs_a_known_court_and_a_slot():
    with pytest.raises(ValueError, match="no court with id 99"):
        what_if(problem([child(1)], []), [RecruitProfile(99, "spa", CaseType.ASYLUM)])
    with pytest.raises(ValueError, match="at least 1 case"):
        RecruitProfile(NYC.id, "spa", CaseType.ASYLUM, slots=0)
    with pytest.raises(ValueError, match="no profile"):
        what_if(problem([child(1)], []), [])


def best_tiers(match_problem: MatchProblem) -> dict[Tier, int]:
    """Matched children per tier of the lexicographic optimum, by brute force."""
    children = {c.id: c for c in match_problem.children}

    def key(assignment: dict[int, int]) -> tuple[int, ...]:
        tiers = Counter(tier_of(match_problem, children[c]) for c in assignment)
        return tuple(tiers[t] for t in Tier)

    return dict(zip(Tier, max(key(a) for a in feasible_assignments(match_problem)), strict=True))


@st.composite
def problem_and_profile(draw: st.DrawFn) -> tuple[MatchProblem, RecruitProfile]:
    match_problem = draw(st.one_of(problems(VARIED, max_children=5), problems(CROWDED, 5)))
    kid = draw(st.sampled_from(match_problem.children))
    profile = RecruitProfile(
        court_id=draw(st.sampled_from([kid.court_id, *(c.id for c in match_problem.courts)])),
        language=draw(st.sampled_from([kid.languages[0], "spa", "mam"])),
        case_type=draw(st.sampled_from([kid.case_type, *CaseType])),
        takes_detained=draw(st.booleans()),
        slots=draw(st.integers(1, 3)),
    )
    return match_problem, profile


@given(problem_and_profile())
@settings(max_examples=120, deadline=None)
def test_the_gain_is_the_whole_problems_gain_by_brute_force(case):
    match_problem, profile = case
    shown = what_if(match_problem, [profile])
    extended = with_recruits(match_problem, [profile])
    before, after = best_tiers(match_problem), best_tiers(extended)
    assert shown.gain == {t: after[t] - before[t] for t in Tier}
