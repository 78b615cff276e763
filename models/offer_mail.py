"""The e-mails of the offer clock: an offer waits (on confirmation), and its reminder.

They carry a link to the offer page and a count of children, never a child's name, A-number or
birth date (DESIGN.md "Offers"): the attorney signs in to see what is needed to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .entities import Attorney, Match, OutboxMessage
from .outbox import queue_email
from .settings import offer_deadline, offer_timing, public_base_url

OFFER_KIND = "offer"
REMINDER_KIND = "offer_reminder"


def offer_path(match_id: int) -> str:
    """The offer page of a match (the web app's /attorney/offers/<id>)."""
    return f"/attorney/offers/{match_id}"


def _children_phrase(count: int) -> str:
    if count == 1:
        return "one child"
    return f"a sibling group of {count} children, offered together"


def queue_offer_email(session: Session, offer: Sequence[Match]) -> OutboxMessage:
    """Tell the attorney an offer waits: one message for the matches of one offer (a child, or
    siblings to one attorney), linking to the first match's page."""
    first = _first(offer)
    timing = offer_timing(session)
    link = _offer_link(session, first)
    body = (
        "A coordinator of Counsel Match has offered you a case: "
        f"{_children_phrase(len(offer))}.\n\n"
        f"See what you need to decide, and accept or decline, at:\n{link}\n\n"
        f"Please answer within {timing.expiry_days} days; without an answer the offer lapses "
        "and the case is offered to another attorney.\n"
    )
    return _queue(session, first, "Counsel Match: a case is offered to you", body, OFFER_KIND)


def queue_reminder_email(session: Session, offer: Sequence[Match]) -> OutboxMessage:
    """Remind the attorney that an offer still waits for an answer, and until when."""
    first = _first(offer)
    timing = offer_timing(session)
    link = _offer_link(session, first)
    deadline = _deadline(first.offered_at, timing.expiry_days)
    body = (
        f"An offer of {_children_phrase(len(offer))} still waits for your answer.\n\n"
        f"Accept or decline it at:\n{link}\n\n"
        f"Without an answer by {deadline}, the offer lapses and the case is offered to another "
        "attorney.\n"
    )
    return _queue(
        session,
        first,
        "Counsel Match: reminder, an offer waits for your answer",
        body,
        REMINDER_KIND,
    )


def _first(offer: Sequence[Match]) -> Match:
    if not offer:
        raise ValueError("an offer has at least one match")
    if len({m.attorney_id for m in offer}) != 1:
        raise ValueError("an offer goes to one attorney")
    return min(offer, key=lambda m: m.id)


def _address(session: Session, attorney_id: int) -> str:
    return session.scalars(select(Attorney.email).where(Attorney.id == attorney_id)).one()


def _offer_link(session: Session, first: Match) -> str:
    """The full address of the offer page of the offer's first match."""
    return public_base_url(session) + offer_path(first.id)


def _queue(session: Session, first: Match, subject: str, body: str, kind: str) -> OutboxMessage:
    """Queue an offer e-mail to the attorney of the offer (whose first match is `first`)."""
    return queue_email(
        session, to=_address(session, first.attorney_id), subject=subject, body=body, kind=kind
    )


def _deadline(offered_at: datetime | None, expiry_days: int) -> str:
    deadline = offer_deadline(offered_at, expiry_days)
    if deadline is None:
        return f"{expiry_days} days after the offer"
    return f"{deadline:%Y-%m-%d %H:%M} UTC"
