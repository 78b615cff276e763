"""The audit trail: one call to record who did what to which record."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .entities import AuditEvent, User


def record(
    session: Session,
    actor: User | str,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction. Never pass child names or A-numbers."""
    event = AuditEvent(
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.email if isinstance(actor, User) else actor,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        details=details,
    )
    session.add(event)
    return event
