"""Which matching rules a (child, attorney) pair fails, with the facts to say why.

The one way for the rest of the system to judge chosen pairs: a decision re-checks a pair before
confirming it, a page says what stands between a child and an attorney. The verdicts are the
engine's own (`Instance.child_passes`: the class's masks, which the unmatched reasons are also
filtered with, and the child's exclusions), so a
pair failing no rule is exactly a pair the engine may propose, and failures come in `PairRule`
order. Callers phrase the facts; they never see the engine's arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import numpy as np

from .eligibility import Instance
from .explain import EXPERTISE_LEVELS, Explainer
from .problem import MatchProblem
from .result import Proposal
from .rules import CaseType, ExpertiseLevel, PairRule


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """One matching rule a pair fails; each kind carries the facts a caller phrases."""

    rule: ClassVar[PairRule]


@dataclass(frozen=True, slots=True)
class CourtFailure(RuleFailure):
    """The attorney does not list the court, lives beyond the travel radius, and takes no remote
    hearings in the court's state."""

    rule: ClassVar[PairRule] = PairRule.COURT
    court_code: str
    court_state: str
    travel_radius_km: float
    distance_km: float | None  # from the attorney's home to the court; None: home unknown


@dataclass(frozen=True, slots=True)
class LanguageFailure(RuleFailure):
    """The attorney speaks none of the child's languages and no interpreter is available for
    the primary one."""

    rule: ClassVar[PairRule] = PairRule.LANGUAGE
    languages: tuple[str, ...]  # the child's, as display names, the primary (interpretable) first


@dataclass(frozen=True, slots=True)
class ExpertiseFailure(RuleFailure):
    """The attorney's expertise does not cover the case type (at a level for a detained child)."""

    rule: ClassVar[PairRule] = PairRule.EXPERTISE
    case_type: CaseType
    level: ExpertiseLevel | None  # the attorney's best level in it; None: not listed
    detained: bool


@dataclass(frozen=True, slots=True)
class DetainedFailure(RuleFailure):
    """The child is detained and the attorney does not take detained cases."""

    rule: ClassVar[PairRule] = PairRule.DETAINED


@dataclass(frozen=True, slots=True)
class LeaveFailure(RuleFailure):
    """The attorney is on leave on the problem's as-of date."""

    rule: ClassVar[PairRule] = PairRule.ON_LEAVE
    on: date
    first_day: date  # the first leave period (in the attorney's order) covering `on`
    last_day: date
    until: date  # the latest last day of the periods covering `on`


@dataclass(frozen=True, slots=True)
class ConflictFailure(RuleFailure):
    """A conflict of interest is recorded between them."""

    rule: ClassVar[PairRule] = PairRule.CONFLICT


@dataclass(frozen=True, slots=True)
class RefusedFailure(RuleFailure):
    """A coordinator rejected the pair, or the attorney declined it, before."""

    rule: ClassVar[PairRule] = PairRule.REFUSED_BEFORE


@dataclass(frozen=True, slots=True)
class CapacityFailure(RuleFailure):
    """The attorney has no free slot."""

    rule: ClassVar[PairRule] = PairRule.NO_FREE_SLOT
    free_slots: int  # as the problem gives it: 0 or less
    current_load: int  # cases already carried


class PairJudge:
    """The matching rules of one problem judged for chosen pairs, with one engine instance: build
    it once for a page or a decision, then ask about as many pairs as needed."""

    def __init__(self, problem: MatchProblem) -> None:
        self._inst = Instance(problem)
        self._explainer: Explainer | None = None
        self._eligible_by_child: dict[int, frozenset[int]] = {}

    def failures(self, child_id: int, attorney_id: int) -> list[RuleFailure]:
        """The rules the pair fails, in rule order; empty when the engine may propose it."""
        return self.failures_by_attorney(child_id, [attorney_id])[attorney_id]

    def failures_by_attorney(
        self, child_id: int, attorney_ids: Iterable[int] | None = None
    ) -> dict[int, list[RuleFailure]]:
        """For one child, the rules failed with each attorney of `attorney_ids` (default: every
        attorney of the problem), in rule order. The rules are evaluated once, for all attorneys."""
        inst = self._inst
        child = self._child(child_id)
        passes = inst.child_passes(child)
        eligible = self._eligible(child)
        wanted = (
            list(range(len(inst.attorneys)))
            if attorney_ids is None
            else [self._attorney(a) for a in attorney_ids]
        )
        # failing[i][r]: the i-th wanted attorney fails the r-th rule
        failing = (~np.stack(list(passes.values()))[:, wanted]).T.tolist()
        result = {}
        for attorney, fails in zip(wanted, failing, strict=True):
            failed = [rule for rule, fail in zip(passes, fails, strict=True) if fail]
            if (attorney in eligible) == bool(failed):
                raise RuntimeError(
                    f"pair ({child_id}, {inst.attorneys[attorney].id}): the engine says "
                    f"eligible={attorney in eligible} but the rules failed are "
                    f"{[rule.value for rule in failed]} (a rule is missing in class_passes)"
                )
            result[inst.attorneys[attorney].id] = [
                self._failure(rule, child, attorney) for rule in failed
            ]
        return result

    def eligible_proposals(self, child_id: int) -> list[Proposal]:
        """Every attorney the engine may pair with the child (no rule fails), by attorney id, as
        the engine would propose each (see `proposal`)."""
        child = self._child(child_id)
        return [self._proposal(child, attorney) for attorney in sorted(self._eligible(child))]

    def proposal(self, child_id: int, attorney_id: int) -> Proposal:
        """The pair as the engine would propose it, as the attorney's first new case: score,
        parts and one-line reason. The pair must fail no rule."""
        child, attorney = self._child(child_id), self._attorney(attorney_id)
        if attorney not in self._eligible(child):
            failed = [f.rule.value for f in self.failures(child_id, attorney_id)]
            raise ValueError(
                f"pair ({child_id}, {attorney_id}) fails {failed}: only a pair failing no rule "
                "has a proposal"
            )
        return self._proposal(child, attorney)

    def _eligible(self, child: int) -> frozenset[int]:
        """The attorney indices the child may be paired with (rules 1-6), once per child."""
        found = self._eligible_by_child.get(child)
        if found is None:
            found = frozenset(self._inst.rule_eligible(child)[0].tolist())
            self._eligible_by_child[child] = found
        return found

    def _proposal(self, child: int, attorney: int) -> Proposal:
        inst = self._inst
        if self._explainer is None:
            self._explainer = Explainer(inst, np.full(len(inst.children), -1, dtype=np.int32))
        return self._explainer.proposal(child, attorney, 1)

    def _child(self, child_id: int) -> int:
        index = self._inst.child_index.get(child_id)
        if index is None:
            raise KeyError(f"child {child_id} is not in the problem; judge only its children")
        return index

    def _attorney(self, attorney_id: int) -> int:
        index = self._inst.attorney_index.get(attorney_id)
        if index is None:
            raise KeyError(
                f"attorney {attorney_id} is not in the problem; judge only its attorneys"
            )
        return index

    def _failure(self, rule: PairRule, child: int, attorney: int) -> RuleFailure:
        """The facts of one failed rule."""
        inst = self._inst
        klass = inst.classes[inst.child_class[child]]
        record = inst.attorneys[attorney]
        match rule:
            case PairRule.COURT:
                court = inst.courts[klass.court]
                km = float(inst.distance_km[klass.court, attorney])
                return CourtFailure(
                    court_code=court.code,
                    court_state=court.state,
                    travel_radius_km=record.travel_radius_km,
                    distance_km=None if math.isnan(km) else km,
                )
            case PairRule.LANGUAGE:
                names = inst.problem.language_names
                return LanguageFailure(tuple(names.get(code, code) for code in klass.languages))
            case PairRule.EXPERTISE:
                rank = int(inst.expertise_rank[klass.case_type][attorney])
                return ExpertiseFailure(
                    case_type=klass.case_type,
                    level=EXPERTISE_LEVELS.get(rank),
                    detained=klass.detained,
                )
            case PairRule.DETAINED:
                return DetainedFailure()
            case PairRule.ON_LEAVE:
                on = inst.as_of
                covering = [(first, last) for first, last in record.leave if first <= on <= last]
                first_day, last_day = covering[0]
                return LeaveFailure(
                    on=on,
                    first_day=first_day,
                    last_day=last_day,
                    until=max(end for _, end in covering),
                )
            case PairRule.CONFLICT:
                return ConflictFailure()
            case PairRule.REFUSED_BEFORE:
                return RefusedFailure()
            case PairRule.NO_FREE_SLOT:
                return CapacityFailure(
                    free_slots=record.free_slots, current_load=record.current_load
                )


def pair_failures(problem: MatchProblem, child_id: int, attorney_id: int) -> list[RuleFailure]:
    """The rules the (child, attorney) pair of `problem` fails, in rule order (`PairRule`);
    empty when the engine may propose it. To judge many pairs, build one `PairJudge`."""
    return PairJudge(problem).failures(child_id, attorney_id)
