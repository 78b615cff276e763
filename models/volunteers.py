"""Attorneys who offer themselves through the public /volunteer page, and the coordinators'
answer to them.

A sign-up lands as an ordinary attorney profile with `volunteer_status` pending and `active`
false: the engine loads only active attorneys, so nothing pending is ever matched. Approving
makes the profile active; declining keeps it inactive and on record. Models never commit: the
caller owns `with session.begin():`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .entities import Attorney, AuditEvent, User, VolunteerStatus
from .imports.cells import Invalid, parse_email, text_for
from .profiles import ProfileInvalid, ProfileText, apply_profile, read_profile, unsafe_text

# The audit trail's record of sign-ups per client (a keyed hash of the address, never the
# address itself): what the sign-up rate limit counts.
SIGN_UP_ENTITY = "volunteer_client"
SIGNED_UP = "volunteer_signed_up"


@dataclass(frozen=True)
class VolunteerText:
    """Who is volunteering, as written in the sign-up form."""

    name: str
    email: str
    firm: str = ""


class VolunteerRefused(Exception):
    """A decision that does not apply to this profile; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read_person(who: VolunteerText) -> tuple[dict[str, str], dict[str, list[str]]]:
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    readers = {
        "name": text_for(Attorney.name),
        "email": lambda v: parse_email(text_for(Attorney.email)(v)).lower(),
        "firm": text_for(Attorney.firm),
    }
    for name, read in readers.items():
        value = getattr(who, name).strip()
        problem = unsafe_text(value, 1000)
        try:
            if problem:
                raise Invalid(problem)
            if not value and name != "firm":
                raise Invalid("a value is required here")
            values[name] = read(value)
        except Invalid as invalid:
            errors[name] = [invalid.message[:1].upper() + invalid.message[1:] + "."]
    return values, errors


def sign_up(session: Session, who: VolunteerText, text: ProfileText, client_key: str) -> Attorney:
    """Record a volunteer's profile, pending and inactive. Raises ProfileInvalid (by field, the
    person's fields included) with nothing written when anything is wrong."""
    person, errors = _read_person(who)
    try:
        profile = read_profile(session, text)
    except ProfileInvalid as invalid:
        raise ProfileInvalid({**errors, **invalid.errors}) from None
    if errors:
        raise ProfileInvalid(errors)
    attorney = Attorney(
        external_id=f"V-{secrets.token_hex(8)}",
        active=False,
        volunteer_status=VolunteerStatus.PENDING,
        **person,
    )
    session.add(attorney)
    session.flush()
    apply_profile(session, attorney, profile)
    audit.record(
        session, "volunteer", SIGNED_UP, SIGN_UP_ENTITY, client_key, attorney_id=attorney.id
    )
    return attorney


def sign_ups_since(session: Session, client_key: str, since: datetime) -> int:
    """How many profiles the client `client_key` has offered since `since`."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.entity_type == SIGN_UP_ENTITY,
                AuditEvent.entity_id == client_key,
                AuditEvent.action == SIGNED_UP,
                AuditEvent.at >= since,
            )
        )
        or 0
    )


def pending_volunteers(session: Session) -> list[Attorney]:
    """Profiles awaiting a coordinator's answer, oldest first."""
    return list(
        session.scalars(
            select(Attorney)
            .where(Attorney.volunteer_status == VolunteerStatus.PENDING)
            .order_by(Attorney.created_at, Attorney.id)
        )
    )


def _pending(session: Session, attorney_id: int, verb: str) -> Attorney:
    attorney = session.get(Attorney, attorney_id)
    if attorney is None:
        raise LookupError(f"no attorney {attorney_id}")
    if attorney.volunteer_status != VolunteerStatus.PENDING:
        state = (
            f"was already {attorney.volunteer_status.value}"
            if attorney.volunteer_status is not None
            else "did not come through the volunteer sign-up"
        )
        raise VolunteerRefused(
            f"Cannot {verb} {attorney.name}: the profile is not awaiting an answer (it {state})."
        )
    return attorney


def approve_volunteer(session: Session, attorney_id: int, actor: User) -> Attorney:
    """Make a pending volunteer an active attorney (matched from the next run)."""
    attorney = _pending(session, attorney_id, "approve")
    attorney.volunteer_status = VolunteerStatus.APPROVED
    attorney.active = True
    audit.record(session, actor, "volunteer_approved", "attorney", attorney_id)
    return attorney


def decline_volunteer(session: Session, attorney_id: int, actor: User) -> Attorney:
    """Turn a pending volunteer down; the profile stays inactive and on record."""
    attorney = _pending(session, attorney_id, "decline")
    attorney.volunteer_status = VolunteerStatus.DECLINED
    attorney.active = False
    audit.record(session, actor, "volunteer_declined", "attorney", attorney_id)
    return attorney
