"""Judging a (child, attorney) pair now: the records' state, then the engine's matching rules.

The rules are the engine's (`matcher.PairJudge`, fed by `models.engine_adapter.load_child_problem`),
so a pair judged eligible here is exactly one a nightly run could propose; this module only reads
the records and phrases the engine's facts for a coordinator (naming the attorney, never the child).
A decision that does not hold raises `DecisionRefused` with the `Broken` rules; `models.decisions`
takes the decisions, re-checking pairs here first. Siblings go to one attorney together, so a group
is checked child by child, then for room for all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.explain import CASE_TYPE_NAMES
from matcher.failures import (
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
)
from matcher.result import Proposal
from matcher.rules import ExpertiseLevel, PairRule

from .capacity import CAPACITY_HOLDING_STATUSES, attorney_load
from .engine_adapter import (
    RESTING_STATUS,
    child_is_spoken_for,
    load_child_problem,
    refusing_match,
)
from .entities import Attorney, CaseStatus, Child, Match, MatchStatus


class Rule(StrEnum):
    """What a decision can run into. The first eight are the records' state, never overridden;
    the others are the matching rules of DESIGN.md (`matcher.rules.PairRule`, with the same
    values), which a manual match may override."""

    NOT_AWAITING_REVIEW = "not_awaiting_review"
    CHILD_CLOSED = "child_closed"
    CHILD_SPOKEN_FOR = "child_spoken_for"
    ATTORNEY_INACTIVE = "attorney_inactive"
    SIBLING_GROUP = "sibling_group"
    OFFER_NOT_OPEN = "offer_not_open"
    CONFLICT_NOT_CONFIRMED = "conflict_not_confirmed"
    CASE_NOT_OPEN = "case_not_open"
    COURT = "court"
    LANGUAGE = "language"
    EXPERTISE = "expertise"
    DETAINED = "detained"
    ON_LEAVE = "on_leave"
    NO_FREE_SLOT = "no_free_slot"
    CONFLICT = "conflict"
    REFUSED_BEFORE = "refused_before"


STATE_RULES = frozenset(
    {
        Rule.NOT_AWAITING_REVIEW,
        Rule.CHILD_CLOSED,
        Rule.CHILD_SPOKEN_FOR,
        Rule.ATTORNEY_INACTIVE,
        Rule.SIBLING_GROUP,
        Rule.OFFER_NOT_OPEN,
        Rule.CONFLICT_NOT_CONFIRMED,
        Rule.CASE_NOT_OPEN,
    }
)

RULE_LABELS = {
    Rule.COURT: "court (rule 1)",
    Rule.LANGUAGE: "language (rule 2)",
    Rule.EXPERTISE: "expertise (rule 3)",
    Rule.ON_LEAVE: "on leave (rule 4)",
    Rule.NO_FREE_SLOT: "free capacity (rule 4)",
    Rule.CONFLICT: "conflict of interest (rule 5)",
    Rule.REFUSED_BEFORE: "rejected or declined before, or an offer expired lately (rule 5)",
    Rule.DETAINED: "detained cases (rule 6)",
}


@dataclass(frozen=True)
class Broken:
    rule: Rule
    message: str  # for the coordinator: names the attorney, never the child

    @property
    def overridable(self) -> bool:
        return self.rule not in STATE_RULES


class DecisionRefused(Exception):
    """The decision does not hold now; nothing was changed. `reasons` says exactly why."""

    def __init__(self, reasons: Sequence[Broken]) -> None:
        if not reasons:
            raise ValueError("DecisionRefused needs at least one reason")
        self.reasons = tuple(reasons)
        super().__init__("; ".join(reason.message for reason in self.reasons))

    @property
    def overridable(self) -> bool:
        """True when a manual match could go ahead with a recorded override reason."""
        return all(reason.overridable for reason in self.reasons)


@dataclass(frozen=True)
class PairCheck:
    """A (child, attorney) pair judged now by the engine's rules and the records' state."""

    child_id: int
    attorney_id: int
    broken: tuple[Broken, ...]
    # the engine's score, parts and one-line reason; None when a rule fails
    proposal: Proposal | None

    @property
    def eligible(self) -> bool:
        return not self.broken

    @property
    def state_problems(self) -> tuple[Broken, ...]:
        return tuple(b for b in self.broken if not b.overridable)

    @property
    def rule_problems(self) -> tuple[Broken, ...]:
        return tuple(b for b in self.broken if b.overridable)


# --- checking a pair ------------------------------------------------------------------------


def _child_state(session: Session, child_id: int) -> list[Broken]:
    """A closed case, or an offer already confirmed or accepted: no new offer can be made."""
    status = session.scalar(select(Child.case_status).where(Child.id == child_id))
    if status is None:
        raise LookupError(f"There is no child {child_id}; it may have been removed.")
    problems = []
    if status == CaseStatus.CLOSED:
        problems.append(Broken(Rule.CHILD_CLOSED, "the child's case is closed"))
    holding = session.execute(
        select(Match.status, Attorney.name)
        .join(Attorney, Attorney.id == Match.attorney_id)
        .where(Match.child_id == child_id, Match.status.in_(CAPACITY_HOLDING_STATUSES))
        .order_by(Match.id)
        .limit(1)
    ).one_or_none()
    if holding is not None:
        held_status, name = holding
        if held_status == MatchStatus.ACCEPTED:
            text = f"the child already has an attorney ({name} accepted the case)"
        else:
            text = f"the child already has a confirmed offer (to {name}, awaiting an answer)"
        problems.append(Broken(Rule.CHILD_SPOKEN_FOR, text))
    return problems


def _erased(session: Session, child_id: int) -> bool:
    return session.scalar(select(Child.erased_at).where(Child.id == child_id)) is not None


def _capacity_text(session: Session, attorney_id: int, name: str, as_of: date) -> str:
    load = attorney_load(session, attorney_id, as_of)
    if load is None:  # the row was locked, so it is there; keep mypy and the reader sure
        raise LookupError(f"There is no attorney {attorney_id}")
    parts = []
    if load.imported_active_cases:
        parts.append(f"{load.imported_active_cases} active cases from the spreadsheet")
    parts.append(f"{load.accepted_matches} accepted")
    parts.append(f"{load.pending_offers} confirmed")
    return f"attorney {name} now has no free slot (capacity {load.capacity}: {', '.join(parts)})"


def _refusal_text(session: Session, child_id: int, attorney_id: int, name: str) -> str:
    row = session.execute(
        select(Match.status, Match.updated_at, Match.reason)
        .where(
            Match.child_id == child_id,
            Match.attorney_id == attorney_id,
            refusing_match(session),
        )
        .order_by(Match.id.desc())
        .limit(1)
    ).one()
    status, at, reason = row
    if status == RESTING_STATUS:
        return f"an offer of this pair to {name} expired unanswered on {at:%Y-%m-%d}"
    who = "by a coordinator" if status == MatchStatus.REJECTED else f"by {name}"
    verb = "rejected" if status == MatchStatus.REJECTED else "declined"
    text = f"this pair was {verb} earlier {who} on {at:%Y-%m-%d}"
    return text + (f" ({reason})" if reason else "")


# The decisions' name of each matching rule: the same value, so audits read alike.
_RULE_OF: dict[PairRule, Rule] = {rule: Rule(rule.value) for rule in PairRule}


def _broken(
    session: Session, failure: RuleFailure, child_id: int, attorney_id: int, name: str, as_of: date
) -> Broken:
    """One failed matching rule as a coordinator reads it."""
    match failure:
        case CourtFailure():
            km = failure.distance_km
            where = "home location unknown" if km is None else f"{km:.0f} km from the court"
            text = (
                f"attorney {name} does not serve court {failure.court_code} (not listed, not "
                f"within the {failure.travel_radius_km:.0f} km travel radius: {where}; "
                f"no remote hearings in {failure.court_state})"
            )
        case LanguageFailure(languages=languages):
            text = (
                f"attorney {name} speaks no {' or '.join(languages)} and no interpreter is "
                f"available for {languages[0]}"
            )
        case ExpertiseFailure(case_type=case_type, level=ExpertiseLevel.MENTORED):
            case = CASE_TYPE_NAMES[case_type]
            text = f"attorney {name} is a mentored volunteer in {case}, not for detained children"
        case ExpertiseFailure(case_type=case_type):
            text = f"attorney {name} does not cover {CASE_TYPE_NAMES[case_type]}"
        case DetainedFailure():
            text = f"the child is detained and {name} does not take detained cases"
        case LeaveFailure():
            text = (
                f"attorney {name} is on leave on {failure.on.isoformat()} "
                f"({failure.first_day.isoformat()} to {failure.last_day.isoformat()})"
            )
        case CapacityFailure():
            text = _capacity_text(session, attorney_id, name, as_of)
        case ConflictFailure():
            text = f"a conflict of interest is recorded between {name} and the child"
        case RefusedFailure():
            text = _refusal_text(session, child_id, attorney_id, name)
        case _:
            raise TypeError(f"no wording for {failure!r}: phrase the new rule here")
    return Broken(_RULE_OF[failure.rule], text)


def check_pairs(
    session: Session, child_id: int, attorney_ids: Collection[int], as_of: date | None = None
) -> dict[int, PairCheck]:
    """Judge the child with each attorney now: the records' state, then the engine's rules 1-6
    on `as_of` (today), in one engine instance. Attorneys that do not exist are left out."""
    as_of = as_of or date.today()
    state = _child_state(session, child_id)
    attorneys = session.execute(
        select(Attorney.id, Attorney.name, Attorney.active).where(Attorney.id.in_(attorney_ids))
    ).all()
    active = [a.id for a in attorneys if a.active]
    judge = PairJudge(load_child_problem(session, as_of, child_id, active))
    # An erased record (closed, so `state` refuses it) is not in the engine's problem.
    failures = (
        judge.failures_by_attorney(child_id, active)
        if not _erased(session, child_id)
        else {attorney_id: [] for attorney_id in active}
    )
    checks = {}
    for attorney_id, name, is_active in attorneys:
        broken = list(state)
        if not is_active:
            broken.append(Broken(Rule.ATTORNEY_INACTIVE, f"attorney {name} is no longer active"))
        else:
            broken.extend(
                _broken(session, failure, child_id, attorney_id, name, as_of)
                for failure in failures[attorney_id]
            )
        proposal = None if broken else judge.proposal(child_id, attorney_id)
        checks[attorney_id] = PairCheck(child_id, attorney_id, tuple(broken), proposal)
    return checks


def check_pair(
    session: Session, child_id: int, attorney_id: int, as_of: date | None = None
) -> PairCheck:
    """Judge one pair now (see `check_pairs`)."""
    check = check_pairs(session, child_id, [attorney_id], as_of).get(attorney_id)
    if check is None:
        raise LookupError(f"There is no attorney {attorney_id}; it may have been removed.")
    return check


@dataclass(frozen=True)
class EligibleAttorney:
    attorney_id: int
    proposal: Proposal  # score, parts and reason as the engine would propose the pair


def eligible_attorneys(
    session: Session, child_id: int, as_of: date | None = None
) -> list[EligibleAttorney]:
    """Every attorney the engine would pair with the child now (rules 1-6, a free slot), best
    fit first (as the engine scores a first new case), then by id."""
    as_of = as_of or date.today()
    problem = load_child_problem(session, as_of, child_id)
    if not problem.children:
        raise LookupError(f"There is no child {child_id}; it may have been removed.")
    found = [
        EligibleAttorney(proposal.attorney_id, proposal)
        for proposal in PairJudge(problem).eligible_proposals(child_id)
    ]
    found.sort(key=lambda e: (-e.proposal.score, e.attorney_id))
    return found


# --- sibling groups -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sibling:
    child_id: int
    external_id: str  # names the sibling in messages: never its name


def siblings_needing_counsel(session: Session, child_id: int) -> list[Sibling]:
    """The child's siblings that a decision about the child takes along: an open case and no
    confirmed or accepted match (the children a run would match), by id. Empty for a child in
    no sibling group."""
    group = select(Child.sibling_group_id).where(Child.id == child_id).scalar_subquery()
    return [
        Sibling(sibling_id, external_id)
        for sibling_id, external_id in session.execute(
            select(Child.id, Child.external_id)
            .where(
                Child.sibling_group_id == group,
                Child.id != child_id,
                Child.case_status == CaseStatus.OPEN,
                ~child_is_spoken_for(),
            )
            .order_by(Child.id)
        )
    ]


def check_group(
    session: Session,
    child_id: int,
    siblings: Sequence[Sibling],
    attorney_id: int,
    as_of: date | None,
) -> tuple[list[PairCheck], list[Broken]]:
    """Each child's pair check with the attorney (the child's first), and every problem of the
    group: the child's, then each sibling's named by its external id (a problem of the attorney
    said once), then room for fewer than all of them."""
    as_of = as_of or date.today()
    checks = [check_pair(session, child_id, attorney_id, as_of)]
    broken = list(checks[0].broken)
    said = {b.message for b in broken}
    for sibling in siblings:
        check = check_pair(session, sibling.child_id, attorney_id, as_of)
        checks.append(check)
        for problem in check.broken:
            if problem.message not in said:
                said.add(problem.message)
                broken.append(
                    Broken(problem.rule, f"for sibling {sibling.external_id}: {problem.message}")
                )
    wanted = len(checks)
    load = attorney_load(session, attorney_id, as_of)
    if wanted > 1 and load is not None and 0 < load.free_slots < wanted:
        name = load.name
        broken.append(
            Broken(
                Rule.NO_FREE_SLOT,
                f"attorney {name} has {load.free_slots} free "
                f"{'slot' if load.free_slots == 1 else 'slots'} but the sibling group needs "
                f"{wanted} (siblings go to one attorney together)",
            )
        )
    return checks, broken
