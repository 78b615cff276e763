"""Offers as coordinators see them (the attorney page, the child page): who was offered which
case, when, whether and when they answered, why they declined, and when an open offer expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from models.entities import Attorney, CaseOutcome, Child, Match, MatchEvent, MatchStatus
from models.erasure import shown_name
from models.settings import offer_deadline

# Matches that are or were an offer to an attorney (a coordinator confirmed them).
OFFER_STATUSES = (
    MatchStatus.CONFIRMED,
    MatchStatus.ACCEPTED,
    MatchStatus.DECLINED,
    MatchStatus.EXPIRED,
    MatchStatus.CLOSED,
)
STATUS_LABELS = {
    MatchStatus.CONFIRMED: "awaiting an answer",
    MatchStatus.ACCEPTED: "accepted",
    MatchStatus.DECLINED: "declined",
    MatchStatus.EXPIRED: "expired unanswered",
    MatchStatus.CLOSED: "closed",
}
OUTCOME_LABELS = {
    CaseOutcome.RELIEF_GRANTED: "relief granted",
    CaseOutcome.TERMINATED: "proceedings terminated",
    CaseOutcome.VOLUNTARY_DEPARTURE: "voluntary departure",
    CaseOutcome.REMOVAL_ORDERED: "removal ordered",
    CaseOutcome.TRANSFERRED: "transferred to other counsel",
    CaseOutcome.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True)
class OfferRow:
    """One offer with the child and attorney it pairs, and its clock."""

    match_id: int
    status: MatchStatus
    child_id: int
    child_external_id: str
    child_name: str
    attorney_id: int
    attorney_name: str
    offered_at: datetime | None  # None for an offer made before offers kept their clock
    answered_at: datetime | None
    closed_at: datetime | None
    outcome: CaseOutcome | None
    decline_reason: str | None
    deadline: datetime | None  # when an offer awaiting an answer expires
    age_days: int | None  # whole days since it was offered

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome] if self.outcome else ""


def offer_rows(
    session: Session,
    condition: ColumnElement[bool],
    *,
    now: datetime,
    expiry_days: int,
    statuses: tuple[MatchStatus, ...] = OFFER_STATUSES,
) -> list[OfferRow]:
    """The offers `condition` selects (on Match) in `statuses`, newest first: two queries."""
    rows = session.execute(
        select(
            Match.id,
            Match.status,
            Match.offered_at,
            Match.answered_at,
            Match.closed_at,
            Match.outcome,
            Child.id.label("child_id"),
            Child.external_id,
            Child.first_name,
            Child.last_name,
            Child.erased_at,
            Attorney.id.label("attorney_id"),
            Attorney.name,
        )
        .join(Child, Child.id == Match.child_id)
        .join(Attorney, Attorney.id == Match.attorney_id)
        .where(condition, Match.status.in_(statuses))
        .order_by(Match.offered_at.desc().nulls_last(), Match.id.desc())
    ).all()
    reasons = _decline_reasons(session, [row.id for row in rows if row.status == "declined"])
    return [_offer_row(row, reasons, now, expiry_days) for row in rows]


def _decline_reasons(session: Session, match_ids: list[int]) -> dict[int, str | None]:
    """The reason recorded with each declined match's latest decline."""
    if not match_ids:
        return {}
    return {
        match_id: reason
        for match_id, reason in session.execute(
            select(MatchEvent.match_id, MatchEvent.reason)
            .where(MatchEvent.match_id.in_(match_ids), MatchEvent.to_status == MatchStatus.DECLINED)
            .order_by(MatchEvent.id)
        )
    }


def _offer_row(
    row: Any, reasons: dict[int, str | None], now: datetime, expiry_days: int
) -> OfferRow:
    status = MatchStatus(row.status)
    waiting = status == MatchStatus.CONFIRMED and row.offered_at is not None
    return OfferRow(
        match_id=row.id,
        status=status,
        child_id=row.child_id,
        child_external_id=row.external_id,
        child_name=shown_name(row.first_name, row.last_name, row.erased_at),
        attorney_id=row.attorney_id,
        attorney_name=row.name,
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        closed_at=row.closed_at,
        outcome=CaseOutcome(row.outcome) if row.outcome else None,
        decline_reason=reasons.get(row.id),
        deadline=offer_deadline(row.offered_at, expiry_days) if waiting else None,
        age_days=(now - row.offered_at).days if waiting else None,
    )
