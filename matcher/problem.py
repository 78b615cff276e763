"""What the engine is asked: plain frozen records, with database ids as keys.

The caller (the database adapter, a benchmark, a test) builds a `MatchProblem`; the engine never
looks anything else up. Lists are tuples so that a problem is immutable and hashable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from .rules import CaseType, ExpertiseLevel, LanguageLevel

DEFAULT_INTERPRETER_LANGUAGES = frozenset({"spa", "por", "fra", "hat"})


@dataclass(frozen=True, slots=True)
class CourtInput:
    id: int
    code: str
    state: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ChildInput:
    id: int
    court_id: int
    case_type: CaseType
    # ISO 639-3 codes, primary language first: only the primary one can be interpreted.
    languages: tuple[str, ...]
    birth_date: date
    next_hearing_date: date | None
    detained: bool
    sibling_group: int | None = None


@dataclass(frozen=True, slots=True)
class AttorneyInput:
    id: int
    languages: tuple[tuple[str, LanguageLevel], ...]
    court_ids: tuple[int, ...]
    states_admitted: tuple[str, ...]
    expertise: tuple[tuple[CaseType, ExpertiseLevel], ...]
    # free slots as models.capacity computes them (capacity - active cases - confirmed offers)
    free_slots: int
    # cases already carried, the base of the load-balancing cost
    current_load: int = 0
    takes_detained: bool = False
    remote_ok: bool = False
    travel_radius_km: float = 0.0
    home_latitude: float | None = None
    home_longitude: float | None = None
    # inclusive (first day, last day) periods
    leave: tuple[tuple[date, date], ...] = ()


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """The organisation's weights, in fit points per unit of each feature.

    Fit of a pair = language + expertise + distance + tender age + load, each a weight times a
    feature; the strict tier priority always comes first, whatever the weights.
    """

    language_native: float = 30.0
    language_fluent: float = 20.0
    language_working: float = 10.0
    language_interpreter: float = 0.0
    expertise_expert: float = 30.0
    expertise_experienced: float = 20.0
    expertise_mentored: float = 5.0
    # Points lost per 100 km from the attorney's home to the court, counted up to the cap; an
    # attorney without a home location counts as at the cap (far).
    distance_per_100km: float = 5.0
    distance_cap_km: float = 500.0
    tender_age: float = 10.0
    # The k-th new case of an attorney who already carries L costs load_per_case * (L + k - 1):
    # convex, so the engine spreads cases when fit is otherwise equal.
    load_per_case: float = 2.0
    interpreter_languages: frozenset[str] = DEFAULT_INTERPRETER_LANGUAGES
    mentored_for_detained: bool = False

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, float | int) and not isinstance(value, bool):
                if not math.isfinite(value) or value < 0:
                    raise ValueError(
                        f"MatchSettings.{spec.name} is {value!r}: weights must be finite and "
                        "zero or more (a weight of 0 switches that part of the fit off)"
                    )
        if self.distance_cap_km <= 0:
            raise ValueError(
                f"MatchSettings.distance_cap_km is {self.distance_cap_km!r}: it must be more "
                "than 0 km (use distance_per_100km=0 to ignore distance)"
            )


@dataclass(frozen=True, slots=True)
class PreviousProposal:
    """A proposal of an earlier run still awaiting review (`run_id`: the run that made it).
    Keeping it is worth the problem's stability bonus, if the pair is eligible now."""

    child_id: int
    attorney_id: int
    run_id: int


@dataclass(frozen=True, slots=True)
class MatchProblem:
    as_of: date
    courts: tuple[CourtInput, ...]
    children: tuple[ChildInput, ...]
    attorneys: tuple[AttorneyInput, ...]
    # (child_id, attorney_id) pairs
    conflicts: frozenset[tuple[int, int]] = frozenset()
    # (child_id, attorney_id) pairs rejected by a coordinator or declined by the attorney
    refused: frozenset[tuple[int, int]] = frozenset()
    settings: MatchSettings = MatchSettings()
    # code -> display name, for explanations only; a code without a name is shown as the code
    language_names: Mapping[str, str] = field(default_factory=dict)
    # The proposals still awaiting review (at most one per child), and the fit points that
    # keeping one is worth: among assignments with the same tier counts, a queue a coordinator is
    # half-way through stays as it was unless another assignment fits better by more than that.
    previous: tuple[PreviousProposal, ...] = ()
    stability_bonus: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.stability_bonus) or self.stability_bonus < 0:
            raise ValueError(
                f"MatchProblem.stability_bonus is {self.stability_bonus!r}: it must be finite and "
                "zero or more (0 switches stable proposals off)"
            )
        seen: set[int] = set()
        for proposal in self.previous:
            if proposal.child_id in seen:
                raise ValueError(
                    f"MatchProblem.previous: child {proposal.child_id} has two proposals; a child "
                    "awaits review on one proposal at most"
                )
            seen.add(proposal.child_id)
