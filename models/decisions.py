"""Coordinators' decisions on matches: confirm, reject, match by hand, correct a child's languages.

Pure database logic in the caller's transaction (`with session.begin():`); every decision is
recorded as a `MatchEvent` (who, when, why) and in the audit trail, whose details never hold child
names, A-numbers or free text.

Confirming re-checks the pair at that moment with the engine's own rules (`models.pair_checks`),
so a proposal made last night cannot over-fill an attorney, or reach a child whose language was
corrected since. Two coordinators confirming the last slot of one attorney at once are serialised
by a lock taken before anything is read: exactly one succeeds, the other is told why not. A
refused decision raises `DecisionRefused` before changing anything, so the caller's transaction
changes nothing.

Siblings go to one attorney together or not at all (DESIGN.md), so a decision on a child of a
sibling group acts on the group: confirming or rejecting one sibling's proposal does the same to
the siblings' proposals to that attorney, and a manual match offers the whole group.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from matcher.rules import tier_for

from . import audit
from .base import utcnow
from .entities import (
    Attorney,
    Child,
    ChildLanguage,
    Language,
    Match,
    MatchEvent,
    MatchStatus,
    User,
)
from .offer_mail import queue_offer_email
from .pair_checks import (
    RULE_LABELS,
    Broken,
    DecisionRefused,
    Rule,
    Sibling,
    check_group,
    siblings_needing_counsel,
)
from .reasons import REJECTION_NOTE_REQUIRED_FOR, REJECTION_REASONS, with_note

MAX_NOTE_LENGTH = 2000


# --- locking --------------------------------------------------------------------------------


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _lock(session: Session, attorney_id: object, child_id: object) -> None:
    """Serialise decisions on one attorney's capacity and one child's (and its siblings') offer.

    PostgreSQL: lock the attorney row, then the rows of the child and its siblings in id order
    (always in this order, so two decisions never wait on each other in a cycle). SQLite locks
    the whole database for writing; it must be taken by the transaction's first statement, a
    write: a transaction that read first cannot wait for another writer (its snapshot would be
    stale: SQLITE_BUSY_SNAPSHOT), while a first write waits (busy_timeout) and then sees what
    the other one committed.
    `attorney_id`/`child_id` are ids or scalar subqueries.
    """
    if _is_sqlite(session):
        # A write that changes nothing: its only purpose is the lock.
        session.execute(
            update(Attorney)
            .where(Attorney.id == attorney_id)
            .values(updated_at=Attorney.updated_at)
            .execution_options(synchronize_session=False)
        )
        return
    session.execute(select(Attorney.id).where(Attorney.id == attorney_id).with_for_update())
    group = select(Child.sibling_group_id).where(Child.id == child_id).scalar_subquery()
    session.execute(
        select(Child.id)
        .where(or_(Child.id == child_id, Child.sibling_group_id == group))
        .order_by(Child.id)
        .with_for_update()
    )


def _lock_match(session: Session, match_id: int) -> Match:
    """Lock the match's attorney and child, then read the match as it is now."""
    of_match = select(Match.attorney_id).where(Match.id == match_id).scalar_subquery()
    child_of_match = select(Match.child_id).where(Match.id == match_id).scalar_subquery()
    _lock(session, of_match, child_of_match)
    statement = select(Match).where(Match.id == match_id).execution_options(populate_existing=True)
    if not _is_sqlite(session):
        statement = statement.with_for_update()
    match = session.scalars(statement).one_or_none()
    if match is None:
        raise LookupError(f"There is no match {match_id}; it may have been removed.")
    return match


# --- what happened to a match ---------------------------------------------------------------


_STATUS_WORDS = {
    MatchStatus.CONFIRMED: "confirmed",
    MatchStatus.REJECTED: "rejected",
    MatchStatus.SUPERSEDED: "replaced",
    MatchStatus.ACCEPTED: "accepted by the attorney",
    MatchStatus.DECLINED: "declined by the attorney",
    MatchStatus.CLOSED: "closed",
    MatchStatus.EXPIRED: "expired unanswered",
}


def _describe_status(session: Session, match: Match) -> str:
    """What happened to a match that is no longer awaiting review, from its last event."""
    last = session.execute(
        select(MatchEvent.at, MatchEvent.reason, User.email)
        .outerjoin(User, User.id == MatchEvent.user_id)
        .where(MatchEvent.match_id == match.id)
        .order_by(MatchEvent.id.desc())
        .limit(1)
    ).one_or_none()
    text = "this proposal is no longer awaiting review: it was " + _STATUS_WORDS.get(
        match.status, match.status.value
    )
    if last is not None:
        at, reason, email = last
        if email:
            text += f" by {email}"
        text += f" on {at:%Y-%m-%d %H:%M} UTC"
        if match.status == MatchStatus.SUPERSEDED and reason:
            text += f" ({reason})"
    return text


# --- sibling groups -------------------------------------------------------------------------


def proposal_groups(session: Session, match_ids: Collection[int]) -> dict[int, tuple[int, ...]]:
    """For each match, the proposals a decision on it acts on, by id: itself and the proposals
    of its siblings to the same attorney still awaiting review. Matches that do not exist are
    left out. For what a page says before the decision; the decision reads them again."""
    if not match_ids:
        return {}
    rows = session.execute(
        select(Match.id, Match.attorney_id, Child.sibling_group_id)
        .join(Child, Child.id == Match.child_id)
        .where(Match.id.in_(match_ids))
    ).all()
    groups = {group_id for _, _, group_id in rows if group_id is not None}
    proposed: dict[tuple[int | None, int], list[int]] = {}
    if groups:
        for match_id, attorney_id, group_id in session.execute(
            select(Match.id, Match.attorney_id, Child.sibling_group_id)
            .join(Child, Child.id == Match.child_id)
            .where(Child.sibling_group_id.in_(groups), Match.status == MatchStatus.PROPOSED)
            .order_by(Match.id)
        ):
            proposed.setdefault((group_id, attorney_id), []).append(match_id)
    return {
        match_id: tuple(
            sorted({match_id, *proposed.get((group_id, attorney_id), ())})
            if group_id is not None
            else (match_id,)
        )
        for match_id, attorney_id, group_id in rows
    }


def _sibling_proposals(
    session: Session, siblings: Sequence[Sibling], attorney_id: int
) -> list[Match]:
    """The siblings' proposals to the attorney still awaiting review, as they are now."""
    if not siblings:
        return []
    return list(
        session.scalars(
            select(Match)
            .where(
                Match.child_id.in_([s.child_id for s in siblings]),
                Match.attorney_id == attorney_id,
                Match.status == MatchStatus.PROPOSED,
            )
            .order_by(Match.id)
            .execution_options(populate_existing=True)
        )
    )


# --- decisions ------------------------------------------------------------------------------


def _move(
    session: Session, match: Match, to: MatchStatus, user: User | None, reason: str | None
) -> MatchEvent:
    event = MatchEvent(
        match_id=match.id,
        from_status=match.status,
        to_status=to,
        at=utcnow(),
        user_id=user.id if user is not None else None,
        reason=reason,
    )
    session.add(event)
    match.status = to
    match.updated_at = event.at
    session.flush()
    return event


def confirm(session: Session, match_id: int, user: User, as_of: date | None = None) -> Match:
    """Confirm a proposal: the attorney is offered the case. Re-checks the pair first.

    For a child in a sibling group, every sibling still needing counsel must have a proposal to
    the same attorney; they are confirmed together, each re-checked, with room for all of them,
    or none is."""
    match = _lock_match(session, match_id)
    if match.status != MatchStatus.PROPOSED:
        raise DecisionRefused([Broken(Rule.NOT_AWAITING_REVIEW, _describe_status(session, match))])
    siblings = siblings_needing_counsel(session, match.child_id)
    group = _sibling_proposals(session, siblings, match.attorney_id)
    proposed_to = {m.child_id for m in group}
    missing = [s.external_id for s in siblings if s.child_id not in proposed_to]
    if missing:
        name = session.scalar(select(Attorney.name).where(Attorney.id == match.attorney_id))
        raise DecisionRefused(
            [
                Broken(
                    Rule.SIBLING_GROUP,
                    f"siblings go to one attorney together, and {', '.join(missing)} of this "
                    f"sibling group {'has' if len(missing) == 1 else 'have'} no proposal to "
                    f"attorney {name}: match the group by hand from the child's page",
                )
            ]
        )
    in_group = [s for s in siblings if s.child_id in proposed_to]
    _, broken = check_group(session, match.child_id, in_group, match.attorney_id, as_of)
    if broken:
        raise DecisionRefused(broken)
    event = _move(session, match, MatchStatus.CONFIRMED, user, "confirmed; offer sent")
    for sibling in group:
        _move(
            session,
            sibling,
            MatchStatus.CONFIRMED,
            user,
            f"confirmed with sibling match {match.id}; offer sent",
        )
    _send_offer(session, [match, *group], event.at)
    _audit_decision(session, user, "match_confirmed", match, event, group)
    return match


def _send_offer(session: Session, offer: Sequence[Match], at: datetime) -> None:
    """Start the offer's clock and e-mail the attorney, in the decision's transaction."""
    for made in offer:
        made.offered_at = at
    session.flush()
    queue_offer_email(session, offer)


def _audit_decision(
    session: Session,
    user: User | str,
    action: str,
    match: Match,
    event: MatchEvent,
    group: Sequence[Match],
    **details: object,
) -> None:
    """The audit record of a decision on a match (and its siblings'): ids and codes only.
    `user` is the person deciding, or a name such as "scheduler" for the clock."""
    audit.record(
        session,
        user,
        action,
        "match",
        match.id,
        child_id=match.child_id,
        attorney_id=match.attorney_id,
        run_id=match.run_id,
        **details,
        match_event_id=event.id,
        sibling_match_ids=[m.id for m in group],
    )


def reject(session: Session, match_id: int, user: User, reason_code: str, note: str = "") -> Match:
    """Reject a proposal with a reason from REJECTION_REASONS (and a note; required for
    "other"). The pair is never proposed again. The proposals of the child's siblings to the
    same attorney are rejected with it, for the same reason: siblings go together."""
    note = note.strip()
    if reason_code not in REJECTION_REASONS:
        raise ValueError(
            f"unknown rejection reason {reason_code!r}: use one of {', '.join(REJECTION_REASONS)}"
        )
    if reason_code in REJECTION_NOTE_REQUIRED_FOR and not note:
        raise ValueError(f"a rejection for '{REJECTION_REASONS[reason_code]}' needs a note")
    if len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"the note has {len(note)} characters; at most {MAX_NOTE_LENGTH}")
    match = _lock_match(session, match_id)
    if match.status != MatchStatus.PROPOSED:
        raise DecisionRefused([Broken(Rule.NOT_AWAITING_REVIEW, _describe_status(session, match))])
    text = with_note(REJECTION_REASONS, reason_code, note)
    group_id = select(Child.sibling_group_id).where(Child.id == match.child_id).scalar_subquery()
    group = session.scalars(
        select(Match)
        .join(Child, Child.id == Match.child_id)
        .where(
            Child.sibling_group_id == group_id,
            Match.id != match.id,
            Match.attorney_id == match.attorney_id,
            Match.status == MatchStatus.PROPOSED,
        )
        .order_by(Match.id)
        .execution_options(populate_existing=True)
    ).all()
    event = _move(session, match, MatchStatus.REJECTED, user, text)
    match.reason = text
    for sibling in group:
        _move(session, sibling, MatchStatus.REJECTED, user, text)
        sibling.reason = text
    _audit_decision(session, user, "match_rejected", match, event, group, reason_code=reason_code)
    return match


def manual_match(
    session: Session,
    child_id: int,
    attorney_id: int,
    user: User,
    override_reason: str | None = None,
    as_of: date | None = None,
) -> Match:
    """Offer the child to the attorney by hand: a confirmed, manual match.

    The same checks as `confirm`; a failing matching rule refuses the match unless
    `override_reason` says why it may be overridden (recorded). A closed case, an offer the
    child already holds or an inactive attorney are never overridden. Proposals still awaiting
    review for the child are superseded by this match. A child in a sibling group is offered
    with every sibling still needing counsel, each checked, with room for all (or the override
    covering the group); the child's match is returned.
    """
    as_of = as_of or date.today()
    override_reason = (override_reason or "").strip() or None
    if override_reason is not None and len(override_reason) > MAX_NOTE_LENGTH:
        raise ValueError(
            f"the override reason has {len(override_reason)} characters; at most {MAX_NOTE_LENGTH}"
        )
    _lock(session, attorney_id, child_id)
    siblings = siblings_needing_counsel(session, child_id)
    checks, broken = check_group(session, child_id, siblings, attorney_id, as_of)
    state = [b for b in broken if not b.overridable]
    rules = [b for b in broken if b.overridable]
    if state or (rules and override_reason is None):
        raise DecisionRefused(broken)
    overridden = list(dict.fromkeys(b.rule for b in rules))
    hearings = {
        row.id: row
        for row in session.execute(
            select(Child.id, Child.next_hearing_date, Child.detained).where(
                Child.id.in_([check.child_id for check in checks])
            )
        )
    }
    now = utcnow()
    matches = []
    for check in checks:
        proposal = check.proposal
        hearing = hearings[check.child_id]
        matches.append(
            Match(
                child_id=check.child_id,
                attorney_id=attorney_id,
                run_id=None,
                status=MatchStatus.CONFIRMED,
                tier=int(
                    proposal.tier
                    if proposal
                    else tier_for(hearing.next_hearing_date, hearing.detained, as_of)
                ),
                score=proposal.score if proposal else None,
                score_parts=dict(proposal.score_parts) if proposal else {},
                explanation=(
                    proposal.why
                    if proposal
                    else "manual match overriding: "
                    + "; ".join(b.message for b in check.rule_problems)
                ),
                manual=True,
                reason=override_reason,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(matches)
    session.flush()
    match = matches[0]
    superseded = session.scalars(
        select(Match)
        .where(
            Match.child_id.in_([check.child_id for check in checks]),
            Match.status == MatchStatus.PROPOSED,
        )
        .order_by(Match.id)
        .execution_options(populate_existing=True)
    ).all()
    replaced_by = {m.child_id: m.id for m in matches}
    for old in superseded:
        text = f"replaced by manual match {replaced_by[old.child_id]}"
        _move(session, old, MatchStatus.SUPERSEDED, user, text)
        old.reason = text
    if overridden:
        reason = (
            "manual match overriding "
            + ", ".join(RULE_LABELS[rule] for rule in overridden)
            + f": {override_reason}"
        )
    else:
        reason = "manual match" + (f": {override_reason}" if override_reason else "")
    events = []
    for made in matches:
        sibling_note = "" if made is match else f" (sibling group, with match {match.id})"
        events.append(
            MatchEvent(
                match_id=made.id,
                from_status=None,
                to_status=MatchStatus.CONFIRMED,
                # After the superseding events, so the history reads in the order things happened.
                at=utcnow(),
                user_id=user.id,
                reason=reason + sibling_note,
            )
        )
    session.add_all(events)
    session.flush()
    _send_offer(session, matches, events[0].at)
    audit.record(
        session,
        user,
        "match_manual",
        "match",
        match.id,
        child_id=child_id,
        attorney_id=attorney_id,
        overridden_rules=[rule.value for rule in overridden],
        superseded_match_ids=[old.id for old in superseded],
        match_event_id=events[0].id,
        sibling_match_ids=[m.id for m in matches[1:]],
    )
    return match


@dataclass(frozen=True)
class LanguageChange:
    old_primary: str
    old_others: tuple[str, ...]
    new_primary: str
    new_others: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return (self.old_primary, self.old_others) != (self.new_primary, self.new_others)


def correct_languages(
    session: Session,
    child_id: int,
    primary_code: str,
    other_codes: Sequence[str],
    user: User,
) -> LanguageChange:
    """Set the child's primary and other languages (ISO 639-3 codes from the catalogue).

    Proposals already made are re-checked when confirmed, so one made for the old languages
    is refused if the attorney does not speak the new ones.
    """
    codes = {primary_code, *other_codes}
    languages = {
        language.code: language
        for language in session.scalars(select(Language).where(Language.code.in_(codes)))
    }
    unknown = sorted(codes - set(languages))
    if unknown:
        raise ValueError(
            f"unknown language code(s) {', '.join(unknown)}: use ISO 639-3 codes of the catalogue"
        )
    child = session.scalars(
        select(Child).where(Child.id == child_id).execution_options(populate_existing=True)
    ).one_or_none()
    if child is None:
        raise LookupError(f"There is no child {child_id}; it may have been removed.")
    old_others = tuple(
        sorted(
            session.scalars(
                select(Language.code)
                .join(ChildLanguage, ChildLanguage.language_id == Language.id)
                .where(ChildLanguage.child_id == child_id)
            )
        )
    )
    old_primary = session.scalars(
        select(Language.code).where(Language.id == child.primary_language_id)
    ).one()
    new_others = tuple(sorted(set(other_codes) - {primary_code}))
    change = LanguageChange(old_primary, old_others, primary_code, new_others)
    if not change.changed:
        return change
    child.primary_language_id = languages[primary_code].id
    wanted = {languages[code].id for code in new_others}
    # Keep the rows that stay (deleting and re-adding one key in a flush is asking for trouble).
    kept = [row for row in child.other_languages if row.language_id in wanted]
    have = {row.language_id for row in kept}
    child.other_languages = kept + [
        ChildLanguage(language_id=language_id) for language_id in sorted(wanted - have)
    ]
    session.flush()
    audit.record(
        session,
        user,
        "child_languages_corrected",
        "child",
        child_id,
        old_primary=old_primary,
        old_others=list(old_others),
        new_primary=primary_code,
        new_others=list(new_others),
    )
    return change
