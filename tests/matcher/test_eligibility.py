"""Each eligibility rule of DESIGN.md on its own, with the exact assignment and fit expected."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matcher.problem import MatchSettings
from matcher.result import SolveStatus, UnmatchedReason
from matcher.rules import ExpertiseLevel, LanguageLevel, Tier

from .builders import (
    AS_OF,
    ASYLUM,
    BAL,
    EXPERIENCED,
    EXPERT,
    FLUENT,
    HOU,
    MENTORED,
    NATIVE,
    NYC,
    SIJS,
    WORKING,
    attorney,
    child,
    pairs,
    problem,
    reasons,
    solved,
)
from .oracle import km_between

# 50 km north of Baltimore's court, about.
NEAR_BALTIMORE = (BAL.latitude + 0.45, BAL.longitude)


def test_default_pair_is_matched_with_fit_60() -> None:
    result = solved(problem([child(1)], [attorney(10)]))
    assert result.status is SolveStatus.OPTIMAL
    assert pairs(result) == {1: 10}
    assert result.total_fit == 60.0
    assert result.tier_bonus is not None
    assert result.objective == result.tier_bonus[Tier.T4] + 60.0
    assert result.bound == result.objective and result.gap == 0.0
    assert result.eligible_pairs == 1


# -- rule 1: the court --------------------------------------------------------------------


def test_court_listed_only_by_the_matching_attorney() -> None:
    result = solved(problem([child(1)], [attorney(10, courts=(HOU,)), attorney(11, courts=(NYC,))]))
    assert pairs(result) == {1: 11}
    assert result.eligible_pairs == 1


@pytest.mark.parametrize(("radius_km", "matched"), [(60.0, True), (40.0, False)])
def test_court_within_travel_radius(radius_km: float, matched: bool) -> None:
    distance = km_between(*NEAR_BALTIMORE, BAL.latitude, BAL.longitude)
    assert 45 < distance < 55
    lawyer = attorney(10, courts=(), home=NEAR_BALTIMORE, radius_km=radius_km)
    result = solved(problem([child(1, court=BAL)], [lawyer]))
    if matched:
        assert pairs(result) == {1: 10}
        assert result.proposals[0].score_parts["distance"] == pytest.approx(
            -5.0 * distance / 100, abs=0.006
        )
        assert "BAL within travel radius" in result.proposals[0].why
    else:
        assert reasons(result) == {1: UnmatchedReason.NO_ATTORNEY_FOR_COURT}


@pytest.mark.parametrize(
    ("remote_ok", "states", "matched"),
    [(True, ("TX",), True), (True, ("NY",), False), (False, ("TX",), False)],
)
def test_court_by_remote_hearings_in_an_admitted_state(
    remote_ok: bool, states: tuple[str, ...], matched: bool
) -> None:
    lawyer = attorney(10, courts=(NYC,), states=states, remote_ok=remote_ok)
    result = solved(problem([child(1, court=HOU)], [lawyer]))
    if matched:
        assert pairs(result) == {1: 10}
        assert "remote hearings in TX" in result.proposals[0].why
    else:
        assert reasons(result) == {1: UnmatchedReason.NO_ATTORNEY_FOR_COURT}


def test_court_with_no_home_location_only_by_list_or_remote() -> None:
    lawyer = attorney(10, courts=(), home=None, radius_km=10_000.0)
    result = solved(problem([child(1)], [lawyer]))
    assert reasons(result) == {1: UnmatchedReason.NO_ATTORNEY_FOR_COURT}


# -- rule 2: language -----------------------------------------------------------------------


@pytest.mark.parametrize(("level", "points"), [(NATIVE, 30.0), (FLUENT, 20.0), (WORKING, 10.0)])
def test_shared_language_at_each_level(level: LanguageLevel, points: float) -> None:
    lawyer = attorney(10, languages=(("mam", level),))
    result = solved(problem([child(1, languages=("mam",))], [lawyer]))
    assert pairs(result) == {1: 10}
    assert result.proposals[0].score_parts["language"] == points
    assert result.total_fit == points + 30.0


def test_interpreter_for_a_primary_language_in_the_setting() -> None:
    lawyer = attorney(10, languages=(("eng", NATIVE),))
    result = solved(problem([child(1, languages=("spa",))], [lawyer]))
    assert pairs(result) == {1: 10}
    assert result.proposals[0].score_parts["language"] == 0.0
    assert result.proposals[0].why.startswith("interpreter for Spanish")


def test_no_interpreter_for_a_second_language() -> None:
    """Mam first, Spanish besides: an interpreter is for the primary language only."""
    lawyer = attorney(10, languages=(("eng", NATIVE),))
    result = solved(problem([child(1, languages=("mam", "spa"))], [lawyer]))
    assert reasons(result) == {1: UnmatchedReason.NO_LANGUAGE}
    assert result.unmatched[0].detail == (
        "1 attorneys serve NYC; none speaks Mam or Spanish and no interpreter is available for Mam."
    )


def test_second_language_spoken_by_the_attorney() -> None:
    lawyer = attorney(10, languages=(("spa", FLUENT),))
    result = solved(problem([child(1, languages=("mam", "spa"))], [lawyer]))
    assert pairs(result) == {1: 10}
    assert result.proposals[0].why.startswith("speaks Spanish (fluent)")


def test_interpreter_languages_are_a_setting() -> None:
    settings = MatchSettings(interpreter_languages=frozenset({"mam"}))
    lawyer = attorney(10, languages=(("eng", NATIVE),))
    matched = solved(problem([child(1, languages=("mam",))], [lawyer], settings=settings))
    assert pairs(matched) == {1: 10}
    spanish = solved(problem([child(2, languages=("spa",))], [lawyer], settings=settings))
    assert reasons(spanish) == {2: UnmatchedReason.NO_LANGUAGE}


def test_native_beats_fluent_beats_interpreter() -> None:
    lawyers = [
        attorney(10, languages=(("eng", NATIVE),)),
        attorney(11, languages=(("spa", FLUENT),)),
        attorney(12, languages=(("spa", NATIVE),)),
    ]
    result = solved(problem([child(1)], lawyers))
    assert pairs(result) == {1: 12}
    assert result.total_fit == 60.0


# -- rule 3: expertise ----------------------------------------------------------------------


def test_expertise_must_cover_the_case_type() -> None:
    lawyer = attorney(10, expertise=((ASYLUM, EXPERT),))
    result = solved(problem([child(1, case_type=SIJS)], [lawyer]))
    assert reasons(result) == {1: UnmatchedReason.NO_EXPERTISE}
    assert result.unmatched[0].detail == ("1 attorneys serve NYC in Spanish; none covers SIJS.")


@pytest.mark.parametrize(
    ("level", "points"), [(EXPERT, 30.0), (EXPERIENCED, 20.0), (MENTORED, 5.0)]
)
def test_expertise_levels(level: ExpertiseLevel, points: float) -> None:
    lawyer = attorney(10, expertise=((SIJS, level),))
    result = solved(problem([child(1, case_type=SIJS)], [lawyer]))
    assert pairs(result) == {1: 10}
    assert result.proposals[0].score_parts["expertise"] == points


def test_mentored_volunteer_not_for_a_detained_child() -> None:
    lawyer = attorney(10, expertise=((ASYLUM, MENTORED),), takes_detained=True)
    result = solved(problem([child(1, detained=True)], [lawyer]))
    assert reasons(result) == {1: UnmatchedReason.NO_EXPERTISE}
    assert "mentored volunteers do not" in result.unmatched[0].detail


def test_mentored_volunteer_for_a_detained_child_when_the_setting_allows() -> None:
    lawyer = attorney(10, expertise=((ASYLUM, MENTORED),), takes_detained=True)
    settings = MatchSettings(mentored_for_detained=True)
    result = solved(problem([child(1, detained=True)], [lawyer], settings=settings))
    assert pairs(result) == {1: 10}
    assert result.total_fit == 35.0


# -- rule 4: capacity and leave -------------------------------------------------------------


@pytest.mark.parametrize("free", [0, -2])
def test_no_free_place(free: int) -> None:
    result = solved(problem([child(1)], [attorney(10, free=free)]))
    assert reasons(result) == {1: UnmatchedReason.ALL_ELIGIBLE_FULL}
    assert result.unmatched[0].detail == "All 1 eligible attorneys are full (no free slots)."
    assert result.unmatched[0].closest_attorney_ids == (10,)
    assert result.eligible_pairs == 0


@pytest.mark.parametrize(
    ("first_day", "last_day", "on_leave"),
    [(-10, 0, True), (0, 10, True), (-10, -1, False), (1, 10, False), (-3, 3, True)],
)
def test_leave_on_the_day_of_the_run(first_day: int, last_day: int, on_leave: bool) -> None:
    leave = ((AS_OF + timedelta(days=first_day), AS_OF + timedelta(days=last_day)),)
    result = solved(problem([child(1)], [attorney(10, leave=leave)]))
    if on_leave:
        assert reasons(result) == {1: UnmatchedReason.ALL_ON_LEAVE}
        assert result.unmatched[0].detail == "All 1 suitable attorneys are on leave on 2025-03-03."
    else:
        assert pairs(result) == {1: 10}


# -- rule 5: conflicts and refusals ---------------------------------------------------------


@pytest.mark.parametrize("refused", [False, True])
def test_conflict_or_refusal_excludes_the_pair(refused: bool) -> None:
    lawyers = [attorney(10), attorney(11, languages=(("spa", FLUENT),))]
    excluded = [(1, 10)]
    match_problem = (
        problem([child(1)], lawyers, refused=excluded)
        if refused
        else problem([child(1)], lawyers, conflicts=excluded)
    )
    result = solved(match_problem)
    assert pairs(result) == {1: 11}
    assert result.eligible_pairs == 1


def test_conflicts_with_every_suitable_attorney() -> None:
    result = solved(
        problem([child(1)], [attorney(10), attorney(11)], conflicts=[(1, 10)], refused=[(1, 11)])
    )
    assert reasons(result) == {1: UnmatchedReason.CONFLICTS_OR_REFUSED}
    assert result.unmatched[0].counts["not_on_leave"] == 2
    assert result.unmatched[0].counts["no_conflict"] == 0


# -- rule 6: detained -----------------------------------------------------------------------


def test_detained_child_only_with_an_attorney_who_takes_detained_cases() -> None:
    lawyers = [attorney(10), attorney(11, languages=(("spa", WORKING),), takes_detained=True)]
    result = solved(problem([child(1, detained=True)], lawyers))
    assert pairs(result) == {1: 11}
    assert result.proposals[0].tier is Tier.T1
    alone = solved(problem([child(1, detained=True)], [attorney(10)]))
    assert reasons(alone) == {1: UnmatchedReason.DETAINED_NO_ATTORNEY}
    assert alone.unmatched[0].detail == (
        "Detained: none of the 1 attorneys otherwise suitable takes detained cases."
    )


def test_problem_errors_say_what_to_fix() -> None:
    with pytest.raises(ValueError, match="child 1: court_id 99 is not among the problem's courts"):
        solved(problem([child(1, court=NYC.__class__(99, "XXX", "NY", 0.0, 0.0))], []))
    with pytest.raises(ValueError, match="children: id 1 appears twice"):
        solved(problem([child(1), child(1)], []))
    with pytest.raises(ValueError, match="MatchSettings.tender_age is -1.0"):
        MatchSettings(tender_age=-1.0)
