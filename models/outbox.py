"""The e-mail outbox (DESIGN.md "E-mail"): a message is written in the transaction of the change
that causes it, so it is sent if and only if that change is kept; the clock process sends it.

Messages never carry a child's name, A-number or birth date: callers pass only links and counts.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit
from .base import utcnow
from .entities import OutboxMessage, OutboxStatus, User

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


class ResendRefused(Exception):
    """The message cannot be resent now; nothing was changed. The message says why."""


def resend_failed(session: Session, message_id: int, user: User | str) -> OutboxMessage:
    """Queue a message the sender gave up on for a fresh round of tries (jobs/mailer.py: due
    now, its attempts counted from zero, so it gets every retry again); the last error stays
    shown until the next try. Audited with the attempts and error it had. Raises LookupError
    for no such message, ResendRefused unless it failed."""
    message = session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if message is None:
        raise LookupError(f"There is no e-mail {message_id} in the outbox.")
    if message.status != OutboxStatus.FAILED:
        why = "it was sent already" if message.status == OutboxStatus.SENT else "it is queued"
        raise ResendRefused(f"E-mail {message_id} is not a failed one: {why}.")
    attempts, error = message.attempts, message.last_error
    message.status = OutboxStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    session.flush()
    audit.record(
        session,
        user,
        "outbox_resent",
        "outbox",
        message_id,
        kind=message.kind,
        attempts_before=attempts,
        last_error=error,
    )
    return message
