"""The coordinators' daily digest: what changed for children without counsel in the last day.

Counts and links only (DESIGN.md "E-mail"): children are named by their page's id, never by
name, A-number or birth date. Nothing to report, no message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from matcher.rules import Tier

from .entities import CaseStatus, Child, Match, MatchStatus, Role, User
from .outbox import queue_email
from .queries import tier_expression

DIGEST_KIND = "coordinator_digest"
# Child pages a digest links one by one; the rest are counted (the lists hold them all).
MAX_LINKED_CHILDREN = 50
URGENT_TIERS = (Tier.T1.value, Tier.T2.value)


@dataclass(frozen=True)
class DigestFigures:
    """What happened in the window the digest covers."""

    newly_urgent_child_ids: Sequence[int]  # T1/T2 on as_of, not the day before, no counsel
    expired: int  # offers that expired unanswered in the window
    declined: int  # offers declined in the window
    turned_down_child_ids: Sequence[int]  # the children of those offers

    @property
    def empty(self) -> bool:
        return not (self.newly_urgent_child_ids or self.expired or self.declined)


def newly_urgent_children(session: Session, as_of: date, since: datetime) -> list[int]:
    """Ids of open children without counsel (no accepted match) who are urgent (T1 or T2) on
    `as_of` and were not the day before, or were added since `since` and are urgent."""
    today = tier_expression(as_of)
    yesterday = tier_expression(as_of - timedelta(days=1))
    return list(
        session.scalars(
            select(Child.id)
            .where(
                Child.case_status == CaseStatus.OPEN,
                today.in_(URGENT_TIERS),
                ~yesterday.in_(URGENT_TIERS) | (Child.created_at >= since),
                ~exists().where(Match.child_id == Child.id, Match.status == MatchStatus.ACCEPTED),
            )
            .order_by(today, Child.next_hearing_date.asc().nulls_last(), Child.id)
        )
    )


def digest_figures(
    session: Session, as_of: date, since: datetime, until: datetime
) -> DigestFigures:
    """The digest's figures for children judged on `as_of` and offers answered in
    [`since`, `until`): two queries."""
    turned_down = session.execute(
        select(Match.child_id, Match.status)
        .where(
            Match.status.in_((MatchStatus.EXPIRED, MatchStatus.DECLINED)),
            Match.answered_at >= since,
            Match.answered_at < until,
        )
        .order_by(Match.answered_at, Match.id)
    ).all()
    statuses = [MatchStatus(row.status) for row in turned_down]
    return DigestFigures(
        newly_urgent_child_ids=newly_urgent_children(session, as_of, since),
        expired=statuses.count(MatchStatus.EXPIRED),
        declined=statuses.count(MatchStatus.DECLINED),
        turned_down_child_ids=list(dict.fromkeys(row.child_id for row in turned_down)),
    )


def _child_links(base_url: str, child_ids: Sequence[int]) -> list[str]:
    lines = [f"  {base_url}/children/{child_id}" for child_id in child_ids[:MAX_LINKED_CHILDREN]]
    if len(child_ids) > MAX_LINKED_CHILDREN:
        lines.append(f"  and {len(child_ids) - MAX_LINKED_CHILDREN} more")
    return lines


def digest_message(figures: DigestFigures, as_of: date, base_url: str) -> tuple[str, str] | None:
    """(subject, body) of the digest, or None when there is nothing to report."""
    if figures.empty:
        return None
    base_url = base_url.rstrip("/")
    urgent = len(figures.newly_urgent_child_ids)
    lines = [f"Counsel Match, daily summary for {as_of.isoformat()}.", ""]
    if urgent:
        lines += [
            f"{urgent} {'child' if urgent == 1 else 'children'} without counsel became urgent "
            "(a hearing within 30 days, or detained) since yesterday.",
            f"Unmatched children: {base_url}/children/unmatched",
            *_child_links(base_url, figures.newly_urgent_child_ids),
            "",
        ]
    if figures.expired or figures.declined:
        lines += [
            f"In the last day {figures.expired} "
            f"{'offer' if figures.expired == 1 else 'offers'} expired unanswered and "
            f"{figures.declined} {'was' if figures.declined == 1 else 'were'} declined; "
            "those children return to the next run.",
            f"Review queue: {base_url}/review",
            *_child_links(base_url, figures.turned_down_child_ids),
            "",
        ]
    lines.append("This message holds no names: open the links to see the children.")
    turned_down = figures.expired + figures.declined
    subject = f"Counsel Match: {urgent} newly urgent, {turned_down} offers turned down"
    return subject, "\n".join(lines)


def queue_coordinator_digest(
    session: Session, *, as_of: date, since: datetime, until: datetime, base_url: str
) -> int:
    """Queue the digest to every active coordinator, in the caller's transaction; returns
    how many messages were queued (none when nothing happened)."""
    message = digest_message(digest_figures(session, as_of, since, until), as_of, base_url)
    if message is None:
        return 0
    subject, body = message
    recipients = session.scalars(
        select(User.email)
        .where(User.role == Role.COORDINATOR, User.active.is_(True))
        .order_by(User.email)
    ).all()
    for address in recipients:
        queue_email(session, to=address, subject=subject, body=body, kind=DIGEST_KIND)
    return len(recipients)
