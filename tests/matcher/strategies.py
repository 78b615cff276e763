"""Hypothesis strategies: small random problems that exercise every rule.

Two nearby courts in two states, three languages, two case types, homes at a courthouse, between
them or unknown, sibling groups, conflicts, refusals, leave on and off the run's day, capacities
from none to three, and random integer weights. `VARIED` gives every rule a chance to fail;
`CROWDED` puts most children in sibling groups that compete for the same few attorneys, where
the flow relaxation splits groups and the exact model has to decide.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import strategies as st

from matcher.problem import AttorneyInput, ChildInput, MatchProblem, MatchSettings, PreviousProposal
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from .builders import AS_OF, BAL, NYC, born_aged

LANGUAGES = ("spa", "mam", "quc")
CASE_TYPES = (CaseType.ASYLUM, CaseType.SIJS)
HOMES = (
    (NYC.latitude, NYC.longitude),
    (BAL.latitude, BAL.longitude),
    (39.9, -75.2),  # between them, near Philadelphia
    None,
)
TRAVEL_RADII_KM = (50.0, 300.0, 0.0)
LEAVES = (
    ((AS_OF - timedelta(days=1), AS_OF + timedelta(days=1)),),
    ((AS_OF + timedelta(days=1), AS_OF + timedelta(days=9)),),
)


@dataclass(frozen=True)
class Mix:
    """How often each kind of value is drawn (sampled_from: earlier values are the simplest)."""

    sibling_groups: tuple[int | None, ...]
    child_courts: tuple[int, ...]
    child_case_types: tuple[CaseType, ...]
    primaries: tuple[str, ...]
    detained: tuple[bool, ...]
    capacities: tuple[int, ...]
    court_lists: tuple[tuple[int, ...], ...]
    expertise_covers: tuple[tuple[CaseType, ...], ...]
    without_spanish: float  # share of attorneys who speak no Spanish
    on_leave: float  # share of attorneys with a leave period (on or off the day)
    other_languages: int = 1  # at most this many languages besides the primary, per child


VARIED = Mix(
    sibling_groups=(None, None, 1, 2),
    child_courts=(NYC.id, BAL.id),
    child_case_types=CASE_TYPES,
    primaries=("spa", "spa", "mam", "quc"),
    detained=(False, False, False, False, True),
    capacities=(1, 2, 1, 3, 2, 1, 2, 3, 0, -1),
    court_lists=((NYC.id,), (BAL.id,), (NYC.id, BAL.id), (NYC.id, BAL.id), ()),
    expertise_covers=(CASE_TYPES, CASE_TYPES, CASE_TYPES[:1], CASE_TYPES[1:]),
    without_spanish=0.25,
    on_leave=0.2,
)
CROWDED = Mix(
    sibling_groups=(1, 2, None),
    child_courts=(NYC.id,),
    child_case_types=(CaseType.ASYLUM,),
    primaries=("spa", "spa", "mam"),
    detained=(False, False, False, False, False, True),
    capacities=(2, 3, 1, 2),
    court_lists=((NYC.id,), (NYC.id, BAL.id), ()),
    expertise_covers=(CASE_TYPES[:1], CASE_TYPES),
    without_spanish=0.1,
    on_leave=0.05,
)

# No sibling groups: the min-cost flow alone, with its additive tier bonuses, decides.
LONERS = dataclasses.replace(VARIED, sibling_groups=(None,), capacities=(1, 2, 1, 1, 0))
# Loners mostly of one class, so that they share pools and buckets in the flow: with many
# conflicts and refusals, the places must be handed out around them.
POOLED = dataclasses.replace(
    LONERS,
    child_courts=(NYC.id,),
    child_case_types=(CaseType.ASYLUM,),
    primaries=("spa", "spa", "spa", "mam"),
    detained=(False,),
    court_lists=((NYC.id,), (NYC.id, BAL.id)),
    expertise_covers=(CASE_TYPES,),
    without_spanish=0.0,
    on_leave=0.0,
)

# Children of one class, for sibling groups alike (`alike_siblings`).
ONE_CLASS = dataclasses.replace(
    POOLED,
    primaries=("spa",),
    capacities=(2, 3, 1, 2, 4),
    other_languages=0,
)


def _chance(draw: st.DrawFn, share: float) -> bool:
    # sampled_from rather than an integer threshold: hypothesis favours boundary integers.
    yes = round(20 * share)
    return draw(st.sampled_from((False,) * (20 - yes) + (True,) * yes))


@st.composite
def children(draw: st.DrawFn, child_id: int, mix: Mix) -> ChildInput:
    primary = draw(st.sampled_from(mix.primaries))
    others = draw(st.lists(st.sampled_from(LANGUAGES), max_size=mix.other_languages))
    hearing = draw(st.one_of(st.none(), st.integers(-10, 120)))
    return ChildInput(
        id=child_id,
        court_id=draw(st.sampled_from(mix.child_courts)),
        case_type=draw(st.sampled_from(mix.child_case_types)),
        languages=(primary, *[o for o in others if o != primary]),
        birth_date=born_aged(draw(st.integers(5, 17))),
        next_hearing_date=None if hearing is None else AS_OF + timedelta(days=hearing),
        detained=draw(st.sampled_from(mix.detained)),
        sibling_group=draw(st.sampled_from(mix.sibling_groups)),
    )


@st.composite
def attorneys(draw: st.DrawFn, attorney_id: int, mix: Mix) -> AttorneyInput:
    level = st.sampled_from(list(LanguageLevel))
    languages = [] if _chance(draw, mix.without_spanish) else [("spa", draw(level))]
    languages += draw(st.lists(st.tuples(st.sampled_from(LANGUAGES[1:]), level), max_size=1))
    expertise = [
        (case_type, draw(st.sampled_from(list(ExpertiseLevel))))
        for case_type in draw(st.sampled_from(mix.expertise_covers))
    ]
    home = draw(st.sampled_from(HOMES))
    return AttorneyInput(
        id=attorney_id,
        languages=tuple(languages),
        court_ids=draw(st.sampled_from(mix.court_lists)),
        states_admitted=tuple(draw(st.lists(st.sampled_from(("NY", "MD")), unique=True))),
        expertise=tuple(expertise),
        free_slots=draw(st.sampled_from(mix.capacities)),
        current_load=draw(st.integers(0, 3)),
        takes_detained=draw(st.booleans()),
        remote_ok=draw(st.booleans()),
        travel_radius_km=draw(st.sampled_from(TRAVEL_RADII_KM)),
        home_latitude=None if home is None else home[0],
        home_longitude=None if home is None else home[1],
        leave=draw(st.sampled_from(LEAVES)) if _chance(draw, mix.on_leave) else (),
    )


weights = st.integers(0, 40).map(float)
settings = st.one_of(
    st.just(MatchSettings()),
    st.builds(
        MatchSettings,
        language_native=weights,
        language_fluent=weights,
        language_working=weights,
        language_interpreter=weights,
        expertise_expert=weights,
        expertise_experienced=weights,
        expertise_mentored=weights,
        distance_per_100km=st.integers(0, 10).map(float),
        tender_age=weights,
        load_per_case=st.integers(0, 6).map(float),
        interpreter_languages=st.sampled_from(
            (frozenset({"spa"}), frozenset({"spa", "mam"}), frozenset())
        ),
        mentored_for_detained=st.booleans(),
    ),
)


@st.composite
def problems(
    draw: st.DrawFn,
    mix: Mix = VARIED,
    max_children: int = 6,
    max_attorneys: int = 3,
    max_exclusions: int = 1,
) -> MatchProblem:
    # Sizes drawn first and ids of that many, so that most examples have some competition.
    n_children = draw(st.integers(min(3, max_children), max_children))
    n_attorneys = draw(st.integers(1, max_attorneys))
    ids = st.integers(1, 999)
    child_ids = draw(st.lists(ids, min_size=n_children, max_size=n_children, unique=True))
    attorney_ids = draw(st.lists(ids, min_size=n_attorneys, max_size=n_attorneys, unique=True))
    every_pair = st.tuples(st.sampled_from(child_ids), st.sampled_from(attorney_ids))
    return MatchProblem(
        as_of=AS_OF,
        courts=(NYC, BAL),
        children=tuple(draw(children(i, mix)) for i in child_ids),
        attorneys=tuple(draw(attorneys(i, mix)) for i in attorney_ids),
        conflicts=frozenset(draw(st.lists(every_pair, max_size=max_exclusions))),
        refused=frozenset(draw(st.lists(every_pair, max_size=max_exclusions))),
        settings=draw(settings),
    )


# Stability bonuses from none to far above any fit difference here (the tiers must still win).
STABILITY_BONUSES = (5.0, 0.0, 0.5, 30.0, 100.0, 400.0)


@st.composite
def with_previous(draw: st.DrawFn, problem: MatchProblem) -> MatchProblem:
    """The problem with a previous run's proposals (any pair, eligible now or not) and a bonus."""
    attorney_ids = [a.id for a in problem.attorneys]
    previous = [
        PreviousProposal(child.id, draw(st.sampled_from(attorney_ids)), draw(st.integers(1, 9)))
        for child in problem.children
        if draw(st.sampled_from((True, True, False)))
    ]
    return dataclasses.replace(
        problem,
        previous=tuple(previous),
        stability_bonus=draw(st.sampled_from(STABILITY_BONUSES)),
    )


@st.composite
def stable_problems(
    draw: st.DrawFn,
    mix: Mix = VARIED,
    max_children: int = 6,
    max_attorneys: int = 3,
    max_exclusions: int = 1,
) -> MatchProblem:
    return draw(with_previous(draw(problems(mix, max_children, max_attorneys, max_exclusions))))


@st.composite
def alike_siblings(draw: st.DrawFn, max_children: int = 7) -> MatchProblem:
    """Children of one class in consecutive sibling groups of one size (the last one may be
    smaller or a single child), so that the flow gives several groups one shared hub."""
    problem = draw(problems(ONE_CLASS, max_children=max_children, max_attorneys=3))
    size = draw(st.sampled_from((2, 3)))
    children = tuple(
        dataclasses.replace(child, sibling_group=i // size + 1)
        for i, child in enumerate(problem.children)
    )
    return dataclasses.replace(problem, children=children)
