"""Tiny hand-built problems: named courts and short constructors with plain defaults.

Defaults give an eligible, easily scored pair: a 15-year-old Spanish-speaking asylum child at
NYC with no hearing date (tier 4), and an attorney who lists NYC, lives at the courthouse (0 km),
speaks Spanish natively and is an asylum expert with one free place: fit 30 + 30 = 60 points.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from matcher import solve
from matcher.problem import AttorneyInput, ChildInput, CourtInput, MatchProblem, MatchSettings
from matcher.result import MatchResult, UnmatchedReason
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from .oracle import check_rules

AS_OF = date(2025, 3, 3)
NYC = CourtInput(id=1, code="NYC", state="NY", latitude=40.7128, longitude=-74.0060)
HOU = CourtInput(id=2, code="HOU", state="TX", latitude=29.7604, longitude=-95.3698)
BAL = CourtInput(id=3, code="BAL", state="MD", latitude=39.2904, longitude=-76.6122)
COURTS = (NYC, HOU, BAL)

NATIVE, FLUENT, WORKING = LanguageLevel.NATIVE, LanguageLevel.FLUENT, LanguageLevel.WORKING
EXPERT, EXPERIENCED, MENTORED = (
    ExpertiseLevel.EXPERT,
    ExpertiseLevel.EXPERIENCED,
    ExpertiseLevel.MENTORED,
)
ASYLUM, SIJS = CaseType.ASYLUM, CaseType.SIJS


def born_aged(years: int) -> date:
    """A birth date giving `years` whole years on AS_OF (birthday mid-year)."""
    return date(AS_OF.year - years - 1, 7, 1)


def child(
    id: int,
    *,
    court: CourtInput = NYC,
    case_type: CaseType = ASYLUM,
    languages: tuple[str, ...] = ("spa",),
    age: int = 15,
    hearing_in_days: int | None = None,
    detained: bool = False,
    sibling_group: int | None = None,
) -> ChildInput:
    return ChildInput(
        id=id,
        court_id=court.id,
        case_type=case_type,
        languages=languages,
        birth_date=born_aged(age),
        next_hearing_date=None
        if hearing_in_days is None
        else AS_OF + timedelta(days=hearing_in_days),
        detained=detained,
        sibling_group=sibling_group,
    )


def attorney(
    id: int,
    *,
    languages: tuple[tuple[str, LanguageLevel], ...] = (("spa", NATIVE),),
    courts: Iterable[CourtInput] = (NYC,),
    states: tuple[str, ...] = (),
    expertise: tuple[tuple[CaseType, ExpertiseLevel], ...] = ((ASYLUM, EXPERT),),
    free: int = 1,
    load: int = 0,
    takes_detained: bool = False,
    remote_ok: bool = False,
    radius_km: float = 0.0,
    home: CourtInput | tuple[float, float] | None = NYC,
    leave: tuple[tuple[date, date], ...] = (),
) -> AttorneyInput:
    if isinstance(home, CourtInput):
        home = (home.latitude, home.longitude)
    return AttorneyInput(
        id=id,
        languages=languages,
        court_ids=tuple(c.id for c in courts),
        states_admitted=states,
        expertise=expertise,
        free_slots=free,
        current_load=load,
        takes_detained=takes_detained,
        remote_ok=remote_ok,
        travel_radius_km=radius_km,
        home_latitude=None if home is None else home[0],
        home_longitude=None if home is None else home[1],
        leave=leave,
    )


def problem(
    children: Iterable[ChildInput],
    attorneys: Iterable[AttorneyInput],
    *,
    conflicts: Iterable[tuple[int, int]] = (),
    refused: Iterable[tuple[int, int]] = (),
    settings: MatchSettings | None = None,
) -> MatchProblem:
    return MatchProblem(
        as_of=AS_OF,
        courts=COURTS,
        children=tuple(children),
        attorneys=tuple(attorneys),
        conflicts=frozenset(conflicts),
        refused=frozenset(refused),
        settings=settings or MatchSettings(),
        language_names={"spa": "Spanish", "mam": "Mam", "quc": "K'iche'", "eng": "English"},
    )


def solved(match_problem: MatchProblem, **options: Any) -> MatchResult:
    """solve(), with every proposal checked against the independent rule checker."""
    result = solve(match_problem, **options)
    check_rules(match_problem, result)
    return result


def pairs(result: MatchResult) -> dict[int, int]:
    """child id -> attorney id of a result's proposals."""
    return {p.child_id: p.attorney_id for p in result.proposals}


def reasons(result: MatchResult) -> dict[int, UnmatchedReason]:
    """child id -> unmatched reason of a result."""
    return {u.child_id: u.reason for u in result.unmatched}
