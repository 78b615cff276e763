"""pair_failures and PairJudge: which rules a (child, attorney) pair fails, with their facts.

Tiny hand-built problems, one rule each, then a pair failing every rule (in rule order), then
random problems against the engine's eligibility and the independent rule checker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings

from matcher import (
    CapacityFailure,
    ConflictFailure,
    CourtFailure,
    DetainedFailure,
    ExpertiseFailure,
    LanguageFailure,
    LeaveFailure,
    PairJudge,
    PairRule,
    RefusedFailure,
    pair_failures,
)
from matcher.eligibility import Instance
from matcher.problem import MatchProblem

from .builders import (
    AS_OF,
    ASYLUM,
    HOU,
    MENTORED,
    NYC,
    SIJS,
    attorney,
    child,
    problem,
)
from .oracle import broken_rules, km_between
from .strategies import CROWDED, VARIED, problems


def test_an_eligible_pair_fails_no_rule_and_has_the_engines_proposal() -> None:
    judge = PairJudge(problem([child(1)], [attorney(10)]))
    assert judge.failures(1, 10) == []
    proposal = judge.proposal(1, 10)
    assert (proposal.child_id, proposal.attorney_id, proposal.score) == (1, 10, 60.0)
    assert proposal.why.startswith("speaks Spanish (native); expert in asylum; serves NYC")


def test_court_not_served_with_home_unknown() -> None:
    homeless = attorney(10, radius_km=50, home=None)
    found = pair_failures(problem([child(1, court=HOU)], [homeless]), 1, 10)
    assert found == [
        CourtFailure(court_code="HOU", court_state="TX", travel_radius_km=50.0, distance_km=None)
    ]


def test_court_beyond_the_travel_radius_gives_the_distance() -> None:
    found = pair_failures(problem([child(1, court=HOU)], [attorney(10, radius_km=300)]), 1, 10)
    km = km_between(NYC.latitude, NYC.longitude, HOU.latitude, HOU.longitude)
    assert found == [
        CourtFailure(
            court_code="HOU",
            court_state="TX",
            travel_radius_km=300.0,
            distance_km=pytest.approx(km, abs=1e-6),
        )
    ]


def test_no_shared_language_and_no_interpreter_names_the_childs_languages() -> None:
    found = pair_failures(problem([child(1, languages=("mam", "quc"))], [attorney(10)]), 1, 10)
    assert found == [LanguageFailure(languages=("Mam", "K'iche'"))]


def test_expertise_not_listed() -> None:
    found = pair_failures(problem([child(1)], [attorney(10, expertise=((SIJS, MENTORED),))]), 1, 10)
    assert found == [ExpertiseFailure(case_type=ASYLUM, level=None, detained=False)]


def test_mentored_expertise_does_not_cover_a_detained_child() -> None:
    mentored = attorney(10, expertise=((ASYLUM, MENTORED),), takes_detained=True)
    found = pair_failures(problem([child(1, detained=True)], [mentored]), 1, 10)
    assert found == [ExpertiseFailure(case_type=ASYLUM, level=MENTORED, detained=True)]


def test_detained_child_and_an_attorney_not_taking_detained_cases() -> None:
    found = pair_failures(problem([child(1, detained=True)], [attorney(10)]), 1, 10)
    assert found == [DetainedFailure()]


def test_on_leave_gives_the_first_period_covering_the_day_and_the_last_day_back() -> None:
    day = timedelta(days=1)
    leave = ((AS_OF - 2 * day, AS_OF + 3 * day), (AS_OF, AS_OF + 10 * day))
    found = pair_failures(problem([child(1)], [attorney(10, leave=leave)]), 1, 10)
    assert found == [
        LeaveFailure(
            on=AS_OF, first_day=AS_OF - 2 * day, last_day=AS_OF + 3 * day, until=AS_OF + 10 * day
        )
    ]


def test_recorded_conflict() -> None:
    found = pair_failures(problem([child(1)], [attorney(10)], conflicts=[(1, 10)]), 1, 10)
    assert found == [ConflictFailure()]


def test_rejected_or_declined_before() -> None:
    found = pair_failures(problem([child(1)], [attorney(10)], refused=[(1, 10)]), 1, 10)
    assert found == [RefusedFailure()]


@pytest.mark.parametrize("free", [0, -1])
def test_no_free_slot_gives_the_slots_and_the_load(free: int) -> None:
    found = pair_failures(problem([child(1)], [attorney(10, free=free, load=3)]), 1, 10)
    assert found == [CapacityFailure(free_slots=free, current_load=3)]


def test_a_pair_failing_every_rule_gets_them_in_rule_order() -> None:
    hopeless = attorney(
        10,
        expertise=((SIJS, MENTORED),),
        free=0,
        home=None,
        leave=((AS_OF, AS_OF),),
    )
    match_problem = problem(
        [child(1, court=HOU, languages=("mam",), detained=True)],
        [hopeless],
        conflicts=[(1, 10)],
        refused=[(1, 10)],
    )
    found = pair_failures(match_problem, 1, 10)
    assert [failure.rule for failure in found] == list(PairRule)
    assert found == [
        CourtFailure(court_code="HOU", court_state="TX", travel_radius_km=0.0, distance_km=None),
        LanguageFailure(languages=("Mam",)),
        ExpertiseFailure(case_type=ASYLUM, level=None, detained=True),
        DetainedFailure(),
        LeaveFailure(on=AS_OF, first_day=AS_OF, last_day=AS_OF, until=AS_OF),
        ConflictFailure(),
        RefusedFailure(),
        CapacityFailure(free_slots=0, current_load=0),
    ]


def test_one_judge_answers_for_every_attorney_of_a_child() -> None:
    match_problem = problem(
        [child(1), child(2, court=HOU)],
        [attorney(10), attorney(11, free=0), attorney(12, courts=(HOU,))],
        refused=[(1, 12)],
    )
    judge = PairJudge(match_problem)
    assert judge.failures_by_attorney(1) == {
        10: [],
        11: [CapacityFailure(free_slots=0, current_load=0)],
        12: [
            CourtFailure(court_code="NYC", court_state="NY", travel_radius_km=0.0, distance_km=0.0),
            RefusedFailure(),
        ],
    }
    assert list(judge.failures_by_attorney(2, [12, 10])) == [12, 10]
    assert [p.attorney_id for p in judge.eligible_proposals(1)] == [10]
    assert [p.attorney_id for p in judge.eligible_proposals(2)] == [12]
    with pytest.raises(ValueError, match=r"pair \(1, 11\) fails \['no_free_slot'\]"):
        judge.proposal(1, 11)
    with pytest.raises(KeyError, match="child 3 is not in the problem"):
        judge.failures(3, 10)
    with pytest.raises(KeyError, match="attorney 13 is not in the problem"):
        judge.failures(1, 13)


# The independent checker's names for the rules (it counts a conflict and a refusal as one).
ORACLE_NAMES = {
    PairRule.COURT: "court",
    PairRule.LANGUAGE: "language",
    PairRule.EXPERTISE: "expertise",
    PairRule.DETAINED: "detained",
    PairRule.ON_LEAVE: "leave",
    PairRule.CONFLICT: "conflict",
    PairRule.REFUSED_BEFORE: "conflict",
    PairRule.NO_FREE_SLOT: "capacity",
}


def assert_agrees_with_the_engine(match_problem: MatchProblem) -> None:
    judge = PairJudge(match_problem)
    inst = Instance(match_problem)
    for record in match_problem.children:
        eligible = {
            inst.attorneys[a].id for a in inst.rule_eligible(inst.child_index[record.id])[0]
        }
        failures = judge.failures_by_attorney(record.id)
        assert set(failures) == {a.id for a in match_problem.attorneys}
        for lawyer in match_problem.attorneys:
            rules = [failure.rule for failure in failures[lawyer.id]]
            assert (not rules) == (lawyer.id in eligible)
            assert rules == sorted(rules, key=list(PairRule).index)
            assert {ORACLE_NAMES[rule] for rule in rules} == set(
                broken_rules(match_problem, record, lawyer)
            )
            pair = (record.id, lawyer.id)
            assert (PairRule.CONFLICT in rules) == (pair in match_problem.conflicts)
            assert (PairRule.REFUSED_BEFORE in rules) == (pair in match_problem.refused)
        assert [p.attorney_id for p in judge.eligible_proposals(record.id)] == sorted(eligible)


@settings(max_examples=150, deadline=None)
@given(problems(VARIED))
def test_failures_agree_with_the_engine_and_the_rule_checker(match_problem: MatchProblem) -> None:
    assert_agrees_with_the_engine(match_problem)


@settings(max_examples=50, deadline=None)
@given(problems(CROWDED))
def test_failures_agree_with_the_engine_on_crowded_problems(match_problem: MatchProblem) -> None:
    assert_agrees_with_the_engine(match_problem)
