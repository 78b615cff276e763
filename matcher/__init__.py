"""The pure matching engine: plain frozen dataclasses in, plain results out.

Nothing here imports Flask, SQLAlchemy or pandas (a test checks it).
"""

from .failures import (
    CapacityFailure,
    ConflictFailure,
    CourtFailure,
    DetainedFailure,
    ExpertiseFailure,
    LanguageFailure,
    LeaveFailure,
    PairJudge,
    RefusedFailure,
    RuleFailure,
    pair_failures,
)
from .greedy import greedy_baseline
from .problem import (
    AttorneyInput,
    ChildInput,
    CourtInput,
    MatchProblem,
    MatchSettings,
    PreviousProposal,
)
from .result import MatchResult, Proposal, SolveStatus, Unmatched, UnmatchedReason
from .rules import PairRule
from .solve import solve

__all__ = [
    "AttorneyInput",
    "CapacityFailure",
    "ChildInput",
    "ConflictFailure",
    "CourtFailure",
    "CourtInput",
    "DetainedFailure",
    "ExpertiseFailure",
    "LanguageFailure",
    "LeaveFailure",
    "MatchProblem",
    "MatchResult",
    "MatchSettings",
    "PairJudge",
    "PairRule",
    "PreviousProposal",
    "Proposal",
    "RefusedFailure",
    "RuleFailure",
    "SolveStatus",
    "Unmatched",
    "UnmatchedReason",
    "greedy_baseline",
    "pair_failures",
    "solve",
]
