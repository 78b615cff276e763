"""Erasing a child's personal data (DESIGN.md "Administration and privacy"): by the daily
retention job, for cases closed more than the set number of years ago, and on request by a
coordinator, for one closed case.

What is erased: the names (emptied), the A-number and the birth date (NULL; the birth year is
kept, so an age band can still be told), and every free text written about the child: the notes
of the decisions on the child's matches (a rejection's, a decline's, a closing's, an override's:
only the label chosen from a list stays, which is what the reports count), the engine's
explanations of the matches, the runs' details of why the child was unmatched, the reasons of
the child's conflicts, and any text of an audit event about the child or its matches that holds
an erased value. What stays is anonymous: ids, court, languages, sex, country, case type, the
intake and hearing dates, statuses, tiers, scores and outcomes, so every report counts the same
after an erasure as before. The audit trail records each erasure without the erased data.

Pure database logic in the caller's transaction (`with session.begin():`), like
`models.decisions`: a refused erasure raises `ErasureRefused` (or `LookupError`: no such child)
before changing anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from . import audit
from .base import utcnow
from .entities import (
    AuditEvent,
    CaseStatus,
    Child,
    Conflict,
    Match,
    MatchEvent,
    MatchStatus,
    UnmatchedChild,
    User,
)
from .offers import OUTCOME_LABELS
from .reasons import DECLINE_REASONS, REJECTION_REASONS, coded_label
from .settings import retention_years

RETENTION_ACTOR = "scheduler"
ERASED = "[erased]"
MAX_ERASURE_NOTE_LENGTH = 500

# Why a coordinator erases a record before its time, chosen from a list (the audit trail keeps
# the code; a note, scrubbed of the erased values, is optional except for "other").
ERASURE_REASONS: dict[str, str] = {
    "child_request": "The child or their guardian asked for it",
    "attorney_request": "The child's attorney asked on the child's behalf",
    "recorded_in_error": "The child was recorded by mistake",
    "legal_order": "A court or legal obligation requires it",
    "other": "Other",
}
ERASURE_NOTE_REQUIRED_FOR = frozenset({"other"})


class ErasureRefused(Exception):
    """The record cannot be erased now; nothing was changed. The message says why and what to do."""


@dataclass(frozen=True)
class ErasureSummary:
    children: int  # records erased (or, in a dry run, that would be)
    matches: int  # their matches, whose notes were cleared
    audit_events: int  # audit events about them whose text held an erased value


def shown_name(first_name: str, last_name: str, erased_at: datetime | None) -> str:
    """How pages name a child: by name, or as an erased record (with the day, UTC)."""
    if erased_at is not None:
        return f"Record erased on {erased_at:%Y-%m-%d}"
    return f"{first_name} {last_name}"


# --- when a case closed -----------------------------------------------------------------------


def case_closed_at() -> ColumnElement[datetime]:
    """When the child's case closed: the latest closing of its matches; for a case closed
    without a closed match (not through this app), the record's last change, which is never
    earlier than the closing."""
    closed = (
        select(func.max(Match.closed_at))
        .where(Match.child_id == Child.id, Match.closed_at.is_not(None))
        .correlate(Child)
        .scalar_subquery()
    )
    return func.coalesce(closed, Child.updated_at)


def retention_cutoff(session: Session, today: date) -> date:
    """Cases closed before this day (UTC) are past retention on `today`: `retention_years`
    whole years earlier (29 February becomes the 28th)."""
    years = retention_years(session)
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _due(closed_before: date) -> list[ColumnElement[bool]]:
    start = datetime.combine(closed_before, time.min, tzinfo=UTC)
    return [
        Child.case_status == CaseStatus.CLOSED,
        Child.erased_at.is_(None),
        case_closed_at() < start,
    ]


def children_due(session: Session, closed_before: date) -> list[int]:
    """Ids of the records not yet erased whose case closed before `closed_before` (UTC)."""
    return list(session.scalars(select(Child.id).where(*_due(closed_before)).order_by(Child.id)))


# --- erasing ----------------------------------------------------------------------------------


def _scrubber(first_name: str, last_name: str, a_number: str | None) -> re.Pattern[str] | None:
    """A pattern for every erased value as it may be written: each word of the names (any case,
    whole words) and the A-number's digits with or without spaces, dashes or a leading A."""
    words = sorted(
        {w for w in re.split(r"[\s,]+", f"{first_name} {last_name}") if len(w) >= 2},
        key=len,
        reverse=True,
    )
    parts = [rf"(?<!\w){re.escape(word)}(?!\w)" for word in words]
    if a_number:
        parts.append(r"(?<!\d)A?[\s-]*" + r"[\s-]*".join(a_number) + r"(?!\d)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _scrub(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """`value` (text, or JSON of lists and objects) with every erased value replaced."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    return value


def _without_note(text: str | None) -> str | None:
    """A decision's reason without what a person wrote: every note follows the first ": "
    (models.reasons.with_note, the closing note, an override's reason)."""
    if text is None:
        return None
    return text.partition(": ")[0]


def _match_reason(status: MatchStatus, reason: str | None) -> str | None:
    """What a match keeps of its reason: the label a report counts, nothing else."""
    if reason is None:
        return None
    if status == MatchStatus.REJECTED:
        return coded_label(reason, REJECTION_REASONS)
    if status == MatchStatus.DECLINED:
        return coded_label(reason, DECLINE_REASONS)
    return None


def _event_reason(event: MatchEvent, match: Match) -> str | None:
    to = MatchStatus(event.to_status)
    if event.reason is None:
        return None
    if to == MatchStatus.REJECTED:
        return coded_label(event.reason, REJECTION_REASONS)
    if to == MatchStatus.DECLINED:
        return coded_label(event.reason, DECLINE_REASONS)
    if to == MatchStatus.CLOSED:
        return OUTCOME_LABELS[match.outcome] if match.outcome else "closed"
    return _without_note(event.reason)


def _lock_child(session: Session, child_id: int) -> Child | None:
    """Take the child's row for this transaction (SQLite: the database write lock, with the
    first statement, as models.decisions._lock explains) and read it as it is now."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Child)
            .where(Child.id == child_id)
            .values(updated_at=Child.updated_at)
            .execution_options(synchronize_session=False)
        )
        statement = select(Child)
    else:
        statement = select(Child).with_for_update()
    return session.scalars(
        statement.where(Child.id == child_id).execution_options(populate_existing=True)
    ).one_or_none()


def _erase(session: Session, child: Child, at: datetime) -> tuple[int, int, re.Pattern[str] | None]:
    """Erase one locked record; returns (matches, audit events scrubbed, the scrubbing pattern)."""
    pattern = _scrubber(child.first_name, child.last_name, child.a_number)
    if child.birth_date is not None:
        child.birth_year = child.birth_date.year
    child.first_name = ""
    child.last_name = ""
    child.a_number = None
    child.birth_date = None
    child.erased_at = at
    child.updated_at = at
    matches = list(
        session.scalars(
            select(Match)
            .where(Match.child_id == child.id)
            .order_by(Match.id)
            .execution_options(populate_existing=True)
        )
    )
    for match in matches:
        match.reason = _match_reason(MatchStatus(match.status), match.reason)
        match.explanation = ""
        for event in match.events:
            event.reason = _scrub(_event_reason(event, match), pattern)
    session.execute(
        update(Conflict)
        .where(Conflict.child_id == child.id)
        .values(reason="")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(UnmatchedChild)
        .where(UnmatchedChild.child_id == child.id)
        .values(detail="")
        .execution_options(synchronize_session=False)
    )
    scrubbed = 0
    about = [and_(AuditEvent.entity_type == "child", AuditEvent.entity_id == str(child.id))]
    if matches:
        about.append(
            and_(
                AuditEvent.entity_type == "match",
                AuditEvent.entity_id.in_([str(m.id) for m in matches]),
            )
        )
    for audited in session.scalars(select(AuditEvent).where(or_(*about))):
        details = _scrub(audited.details, pattern)
        if details != audited.details:
            audited.details = details
            scrubbed += 1
    session.flush()
    return len(matches), scrubbed, pattern


def erase_child(
    session: Session, child_id: int, user: User, reason_code: str, note: str = ""
) -> Child:
    """Erase one child's personal data on request, with a reason from ERASURE_REASONS (and a
    note; required for "other"). Only a closed case is erased: an open one needs the child's
    details to be matched and represented."""
    note = note.strip()
    if reason_code not in ERASURE_REASONS:
        raise ValueError(
            f"unknown erasure reason {reason_code!r}: use one of {', '.join(ERASURE_REASONS)}"
        )
    if reason_code in ERASURE_NOTE_REQUIRED_FOR and not note:
        raise ValueError(f"an erasure for '{ERASURE_REASONS[reason_code]}' needs a note")
    if "\x00" in note:
        raise ValueError("the note holds a NUL character; retype it")
    if len(note) > MAX_ERASURE_NOTE_LENGTH:
        raise ValueError(f"the note has {len(note)} characters; at most {MAX_ERASURE_NOTE_LENGTH}")
    child = _lock_child(session, child_id)
    if child is None:
        raise LookupError(f"There is no child {child_id}; it may have been removed.")
    if child.erased_at is not None:
        raise ErasureRefused(
            f"This record was erased already, on {child.erased_at:%Y-%m-%d} (UTC); nothing "
            "personal is left to erase."
        )
    if child.case_status != CaseStatus.CLOSED:
        raise ErasureRefused(
            "This case is open: matching and the attorney need the child's details. Erase the "
            "record once the case is closed (the attorney closes it with its outcome)."
        )
    matches, scrubbed, pattern = _erase(session, child, utcnow())
    audit.record(
        session,
        user,
        "child_erased",
        "child",
        child.id,
        via="request",
        reason_code=reason_code,
        note=_scrub(note, pattern),
        matches=matches,
        audit_events_scrubbed=scrubbed,
    )
    return child


def erase_closed_before(
    session: Session,
    closed_before: date,
    actor: User | str,
    *,
    dry_run: bool = False,
    limit: int | None = None,
) -> ErasureSummary:
    """Erase every record whose case closed before `closed_before` (UTC), oldest id first, at
    most `limit` of them; a dry run only counts them (the audit events it would scrub are not
    counted, since finding them means reading them)."""
    ids = children_due(session, closed_before)[:limit]
    if dry_run:
        matches = (
            session.scalar(select(func.count()).select_from(Match).where(Match.child_id.in_(ids)))
            if ids
            else 0
        )
        return ErasureSummary(len(ids), matches or 0, 0)
    return _erase_each(session, ids, actor, closed_before)


def _erase_each(
    session: Session, ids: Iterable[int], actor: User | str, closed_before: date
) -> ErasureSummary:
    children = matches = scrubbed = 0
    at = utcnow()
    for child_id in ids:
        child = _lock_child(session, child_id)
        # Checked again under the lock: erased or reopened meanwhile, it is left alone.
        if child is None or child.erased_at is not None or child.case_status != CaseStatus.CLOSED:
            continue
        child_matches, child_scrubbed, _ = _erase(session, child, at)
        audit.record(
            session,
            actor,
            "child_erased",
            "child",
            child.id,
            via="retention",
            closed_before=closed_before.isoformat(),
            matches=child_matches,
            audit_events_scrubbed=child_scrubbed,
        )
        children += 1
        matches += child_matches
        scrubbed += child_scrubbed
    return ErasureSummary(children, matches, scrubbed)
