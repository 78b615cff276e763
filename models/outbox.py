"""The e-mail outbox (DESIGN.md "E-mail"): a message is written in the transaction of the change
that causes it, so it is sent if and only if that change is kept; the clock process sends it.

Messages never carry a child's name, A-number or birth date: callers pass only links and counts.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .entities import OutboxMessage

MAX_SUBJECT_LENGTH = 200


def queue_email(session: Session, *, to: str, subject: str, body: str, kind: str) -> OutboxMessage:
    """Add one message to the outbox in the caller's transaction (sent later by the clock)."""
    if "\n" in subject or "\r" in subject:
        raise ValueError("an e-mail subject is one line")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise ValueError(f"an e-mail subject has at most {MAX_SUBJECT_LENGTH} characters")
    message = OutboxMessage(kind=kind, to_address=to, subject=subject, body=body)
    session.add(message)
    return message
