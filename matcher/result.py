"""What the engine answers: proposals with their reasons, and why each other child is unmatched."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .rules import Tier


class SolveStatus(StrEnum):
    """How good the assignment is known to be. There is no "infeasible": leaving every child
    unmatched is always a valid assignment; an engine failure raises instead of returning."""

    OPTIMAL = "optimal"  # proven: no assignment is better in the strict tier order, then fit
    FEASIBLE = "feasible"  # a valid assignment; `bound` and `gap` say how far it may be from best


class UnmatchedReason(StrEnum):
    """The first filter that left a child without an attorney, in the order they are applied."""

    NO_ATTORNEY_FOR_COURT = "no_attorney_for_court"
    NO_LANGUAGE = "no_language"
    NO_EXPERTISE = "no_expertise"
    DETAINED_NO_ATTORNEY = "detained_no_attorney"
    ALL_ON_LEAVE = "all_on_leave"
    CONFLICTS_OR_REFUSED = "conflicts_or_refused"
    ALL_ELIGIBLE_FULL = "all_eligible_full"
    SIBLINGS_NO_COMMON_ATTORNEY = "siblings_no_common_attorney"
    SIBLING_GROUP_TOO_LARGE = "sibling_group_too_large"
    TAKEN_BY_MORE_URGENT = "taken_by_more_urgent"
    # eligible capacity was left over: only when a run stopped at its time limit, or the greedy
    # baseline placed a sibling group elsewhere
    NOT_PLACED = "not_placed"


# Keys of Proposal.score_parts, in display order; "kept" (the stability bonus) only on a kept
# previous proposal.
SCORE_PARTS = ("language", "expertise", "distance", "tender_age", "load", "kept")

# Keys of Unmatched.counts: how many attorneys are left after each filter, in order.
FILTER_COUNTS = (
    "serve_court",
    "language",
    "expertise",
    "take_detained",
    "not_on_leave",
    "no_conflict",
    "free_capacity",
    "capacity_left_after_run",
)


@dataclass(frozen=True, slots=True)
class Proposal:
    child_id: int
    attorney_id: int
    tier: Tier
    score: float  # fit points: the sum of score_parts
    score_parts: Mapping[str, float]
    why: str  # one line, no child names


@dataclass(frozen=True, slots=True)
class Unmatched:
    child_id: int
    tier: Tier
    reason: UnmatchedReason
    detail: str  # one line, no child names
    counts: Mapping[str, int]
    closest_attorney_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Baseline:
    """The greedy baseline's figures ("earliest hearing first, first eligible attorney") on the
    same instance as the optimiser's, for comparison: no proposals or explanations."""

    matched_per_tier: Mapping[Tier, int]
    total_fit: float
    objective: float

    @property
    def proposals(self) -> int:
        return sum(self.matched_per_tier.values())


@dataclass(frozen=True, slots=True)
class MatchResult:
    status: SolveStatus
    proposals: tuple[Proposal, ...]
    unmatched: tuple[Unmatched, ...]
    # objective and bound are in fit points plus a tier bonus per matched child (the bonus makes
    # one more child in a higher tier outweigh any gain lower down); gap = (bound - objective) /
    # |bound|, 0 when proven optimal. The greedy baseline has no bound.
    objective: float
    bound: float | None
    gap: float | None
    matched_per_tier: Mapping[Tier, int]
    eligible_pairs: int
    timings_s: Mapping[str, float]
    total_fit: float = 0.0
    children_per_tier: Mapping[Tier, int] | None = None
    # the tier bonus used in objective and bound, in points per matched child of each tier
    tier_bonus: Mapping[Tier, float] | None = None
    # children per tier matched by the bound's assignment (the flow relaxation unless proven):
    # when equal to matched_per_tier, the counts in every tier are proven best even if the fit
    # is not (status FEASIBLE with a gap in fit only)
    bound_matched_per_tier: Mapping[Tier, int] | None = None
    # the greedy baseline on the same instance (solve() only); the optimiser never returns an
    # assignment it beats
    baseline: Baseline | None = None
