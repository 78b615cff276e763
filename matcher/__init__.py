"""The pure matching engine: plain frozen dataclasses in, plain results out.

Nothing here imports Flask, SQLAlchemy or pandas (a test checks it).
"""

from .greedy import greedy_baseline
from .problem import AttorneyInput, ChildInput, CourtInput, MatchProblem, MatchSettings
from .result import MatchResult, Proposal, SolveStatus, Unmatched, UnmatchedReason
from .solve import solve

__all__ = [
    "AttorneyInput",
    "ChildInput",
    "CourtInput",
    "MatchProblem",
    "MatchResult",
    "MatchSettings",
    "Proposal",
    "SolveStatus",
    "Unmatched",
    "UnmatchedReason",
    "greedy_baseline",
    "solve",
]
