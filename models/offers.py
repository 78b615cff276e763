"""Attorneys' answers to offers, closing cases, and the offer clock (DESIGN.md "Match lifecycle",
"Offers", "Closing a case").

Pure database logic in the caller's transaction (`with session.begin():`), like
`models.decisions`, whose lock and history helpers these share: every step is a `MatchEvent`
and an audit record of ids and codes only. A refused step raises before changing anything:
`LookupError` for a match that is not the attorney's (the attorney may not learn it exists),
`ValueError` for input a form should have caught, `DecisionRefused` when the records do not
allow it now.

An offer of siblings (their confirmed matches to one attorney) is answered as one: accepting or
declining any of them answers all. An accepted match holds one of the attorney's slots until the
case is closed; a declined or expired offer frees it at once, and the child returns to the next
run (a declined pair never again, an expired one after a pause: `models.engine_adapter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .decisions import _audit_decision, _is_sqlite, _lock_match, _move
from .entities import CaseOutcome, CaseStatus, Child, Match, MatchStatus, Role, User
from .offer_mail import queue_reminder_email
from .pair_checks import Broken, DecisionRefused, Rule
from .settings import OfferTiming

MAX_DECLINE_REASON_LENGTH = 1000
MAX_CLOSING_NOTE_LENGTH = 2000
CLOCK_ACTOR = "scheduler"

# DESIGN.md "Closing a case": code -> what it means.
OUTCOME_LABELS: dict[CaseOutcome, str] = {
    CaseOutcome.RELIEF_GRANTED: "Relief granted (asylum, SIJS, T or U visa)",
    CaseOutcome.TERMINATED: "Proceedings dismissed or terminated",
    CaseOutcome.VOLUNTARY_DEPARTURE: "Voluntary departure",
    CaseOutcome.REMOVAL_ORDERED: "Removal ordered",
    CaseOutcome.TRANSFERRED: "Transferred to other counsel",
    CaseOutcome.WITHDRAWN: "Withdrawn",
}
# Who may close any case besides the case's own attorney.
CLOSING_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})

_STATE_WORDS = {
    MatchStatus.ACCEPTED: "you accepted it already",
    MatchStatus.DECLINED: "you declined it already",
    MatchStatus.EXPIRED: "it expired without an answer",
    MatchStatus.CLOSED: "the case is closed",
}


# --- reading an attorney's own matches -----------------------------------------------------


def _own_match(session: Session, match_id: int, attorney_id: int) -> Match:
    """Lock and read the match; LookupError unless it is the attorney's (never telling which)."""
    try:
        match = _lock_match(session, match_id)
    except LookupError:
        match = None
    if match is None or match.attorney_id != attorney_id:
        raise LookupError(f"You have no offer or case {match_id}.")
    return match


def offer_group(session: Session, match: Match) -> list[Match]:
    """The offer `match` belongs to: itself first, then its siblings' matches to the same
    attorney in the same status, in id order (just the match for a child without siblings)."""
    group_id = select(Child.sibling_group_id).where(Child.id == match.child_id).scalar_subquery()
    statement = (
        select(Match)
        .join(Child, Child.id == Match.child_id)
        .where(
            Child.sibling_group_id == group_id,
            Match.attorney_id == match.attorney_id,
            Match.status == match.status,
            Match.id != match.id,
        )
        .order_by(Match.id)
        .execution_options(populate_existing=True)
    )
    if not _is_sqlite(session):
        statement = statement.with_for_update(of=Match)
    return [match, *session.scalars(statement)]


def _account_of(session: Session, attorney_id: int) -> User | str:
    """The attorney's own account for the records, or a name when none is linked."""
    user = session.scalars(select(User).where(User.attorney_id == attorney_id)).one_or_none()
    return user if user is not None else f"attorney:{attorney_id}"


def _refuse_unless_offer_open(match: Match) -> None:
    if match.status != MatchStatus.CONFIRMED:
        why = _STATE_WORDS.get(match.status, f"it is {match.status.value}")
        raise DecisionRefused(
            [Broken(Rule.OFFER_NOT_OPEN, f"this offer no longer waits for an answer: {why}")]
        )


def _answer(
    session: Session,
    group: Sequence[Match],
    to: MatchStatus,
    actor: User | str,
    reason: str,
    action: str,
    answered_at: datetime | None = None,
) -> None:
    """Move an offer (one match, or siblings) to `to`, answered at `answered_at` (now), with
    history and audit."""
    first, *rest = group
    user = actor if isinstance(actor, User) else None
    event = _move(session, first, to, user, reason)
    for answered in group:
        answered.answered_at = answered_at or event.at
    for sibling in rest:
        _move(session, sibling, to, user, f"{reason} (with sibling match {first.id})")
    session.flush()
    _audit_decision(session, actor, action, first, event, rest)


# --- the attorney's answer ------------------------------------------------------------------


def accept(
    session: Session,
    match_id: int,
    attorney_id: int,
    no_conflict: bool,
    by_user: User | None = None,
) -> Match:
    """The attorney takes the case (and the siblings offered with it): the child is represented.

    Refused unless the offer is the attorney's, still waits for an answer, and the attorney
    confirms having no conflict of interest. `by_user` defaults to the attorney's account."""
    match = _own_match(session, match_id, attorney_id)
    _refuse_unless_offer_open(match)
    if not no_conflict:
        raise DecisionRefused(
            [
                Broken(
                    Rule.CONFLICT_NOT_CONFIRMED,
                    "confirm that you have no conflict of interest to accept this offer",
                )
            ]
        )
    group = offer_group(session, match)
    actor = by_user or _account_of(session, attorney_id)
    _answer(
        session,
        group,
        MatchStatus.ACCEPTED,
        actor,
        "accepted; no conflict of interest confirmed",
        "offer_accepted",
    )
    return match


def decline(
    session: Session, match_id: int, attorney_id: int, reason: str, by_user: User | None = None
) -> Match:
    """The attorney declines the offer (and the siblings offered with it), saying why.

    The slot is freed at once; the pair is never proposed again, and the child returns to the
    next run."""
    reason = reason.strip()
    if not reason:
        raise ValueError("say why you decline the offer")
    if len(reason) > MAX_DECLINE_REASON_LENGTH:
        raise ValueError(
            f"the reason has {len(reason)} characters; at most {MAX_DECLINE_REASON_LENGTH}"
        )
    match = _own_match(session, match_id, attorney_id)
    _refuse_unless_offer_open(match)
    group = offer_group(session, match)
    for declined in group:
        declined.reason = reason
    actor = by_user or _account_of(session, attorney_id)
    _answer(session, group, MatchStatus.DECLINED, actor, reason, "offer_declined")
    return match


# --- closing a case -------------------------------------------------------------------------


def close_case(
    session: Session, match_id: int, by_user: User, outcome: CaseOutcome | str, note: str = ""
) -> Match:
    """Close an accepted case with its outcome: the attorney's slot is freed and the child's
    case is closed (so no run proposes the child again).

    The case's own attorney or a coordinator (or admin) closes it; another attorney is told
    there is no such case (LookupError), anyone else PermissionError."""
    try:
        outcome = CaseOutcome(outcome)
    except ValueError:
        raise ValueError(
            f"unknown outcome {outcome!r}: use one of {', '.join(o.value for o in CaseOutcome)}"
        ) from None
    note = note.strip()
    if len(note) > MAX_CLOSING_NOTE_LENGTH:
        raise ValueError(f"the note has {len(note)} characters; at most {MAX_CLOSING_NOTE_LENGTH}")
    if by_user.role == Role.ATTORNEY:
        if by_user.attorney_id is None:
            raise LookupError(f"You have no case {match_id}.")
        match = _own_match(session, match_id, by_user.attorney_id)
    elif by_user.role in CLOSING_ROLES:
        match = _lock_match(session, match_id)
    else:
        raise PermissionError("only the case's attorney or a coordinator closes a case")
    if match.status != MatchStatus.ACCEPTED:
        why = "it was closed already" if match.status == MatchStatus.CLOSED else "not accepted"
        raise DecisionRefused([Broken(Rule.CASE_NOT_OPEN, f"this case cannot be closed: {why}")])
    label = OUTCOME_LABELS[outcome]
    event = _move(
        session, match, MatchStatus.CLOSED, by_user, f"{label}: {note}" if note else label
    )
    match.outcome = outcome
    match.closed_at = event.at
    session.execute(
        update(Child)
        .where(Child.id == match.child_id)
        .values(case_status=CaseStatus.CLOSED, updated_at=event.at)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    _audit_decision(session, by_user, "case_closed", match, event, [], outcome=outcome.value)
    return match


# --- the offer clock ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockSummary:
    reminded: int  # matches whose attorney was reminded now
    expired: int  # matches whose offer expired now


def _offers_waiting(session: Session, offered_before: datetime) -> list[Match]:
    """Confirmed offers made before `offered_before` and still unanswered, locked, by id."""
    if _is_sqlite(session):
        # SQLite: take the write lock with the first statement (see decisions._lock).
        session.execute(
            update(Match)
            .where(Match.id == -1)
            .values(updated_at=Match.updated_at)
            .execution_options(synchronize_session=False)
        )
    offered = func.coalesce(Match.offered_at, Match.created_at)
    statement = (
        select(Match)
        .where(
            Match.status == MatchStatus.CONFIRMED,
            Match.answered_at.is_(None),
            offered <= offered_before,
        )
        .order_by(Match.id)
        .execution_options(populate_existing=True)
    )
    if not _is_sqlite(session):
        # Rows an attorney answers meanwhile are re-checked after the lock and left out.
        statement = statement.with_for_update()
    return list(session.scalars(statement))


def _offers_of(session: Session, matches: Sequence[Match]) -> list[list[Match]]:
    """`matches` grouped into offers: one per child, siblings to one attorney together."""
    group_of = dict(
        session.execute(
            select(Child.id, Child.sibling_group_id).where(
                Child.id.in_({m.child_id for m in matches})
            )
        ).all()
    )
    offers: dict[tuple[int, int, int], list[Match]] = {}
    for match in matches:
        group_id = group_of.get(match.child_id)
        key = (match.attorney_id, 1, group_id) if group_id is not None else (0, 0, match.id)
        offers.setdefault(key, []).append(match)
    return list(offers.values())


def remind_and_expire(session: Session, now: datetime, timing: OfferTiming) -> ClockSummary:
    """The offer clock at `now`: offers unanswered for `expiry_days` expire (the slot is freed,
    the child returns to the next run); those unanswered for `reminder_days` and not yet
    reminded get one reminder e-mail. Safe to run at any moment, any number of times."""
    waiting = _offers_waiting(session, now - timedelta(days=timing.reminder_days))
    expire_before = now - timedelta(days=timing.expiry_days)
    expired = reminded = 0
    for offer in _offers_of(session, waiting):
        first = offer[0]
        offered = first.offered_at or first.created_at
        if offered <= expire_before:
            _answer(
                session,
                offer,
                MatchStatus.EXPIRED,
                CLOCK_ACTOR,
                f"no answer within {timing.expiry_days} days; the offer expired",
                "offer_expired",
                answered_at=now,
            )
            expired += len(offer)
        elif first.reminded_at is None:
            for match in offer:
                match.reminded_at = now
            event = _move(session, first, MatchStatus.CONFIRMED, None, "reminder sent")
            for sibling in offer[1:]:
                _move(
                    session,
                    sibling,
                    MatchStatus.CONFIRMED,
                    None,
                    f"reminder sent (with sibling match {first.id})",
                )
            queue_reminder_email(session, offer)
            _audit_decision(session, CLOCK_ACTOR, "offer_reminded", first, event, offer[1:])
            reminded += len(offer)
    session.flush()
    return ClockSummary(reminded=reminded, expired=expired)
