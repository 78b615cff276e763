"""A closed case with every kind of note a person writes about a child, through the real
decisions: a rejection, a decline, a manual match, an acceptance and the closing, each with a
note that names the child; a conflict, a run's unmatched detail and a legacy audit event too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from fixtures import factories as f
from models.base import Base
from models.decisions import confirm, manual_match, reject
from models.entities import Child, Role, User
from models.offers import accept, close_case, decline
from models.reasons import DECLINE_REASONS, with_note

FIRST, LAST = "Yolanda", "Quispe Huamán"
A_NUMBER = "412345678"
BIRTH = date(2010, 3, 9)
# Every way the erased values may be written in a note.
NEEDLES = ("Yolanda", "Quispe", "Huamán", A_NUMBER, "412-345-678", "2010-03-09")


@dataclass(frozen=True)
class Story:
    child_id: int
    coordinator: User
    match_ids: dict[str, int]


def step(session: Session, decision, *args, **kwargs):
    if session.in_transaction():
        session.commit()
    with session.begin():
        return decision(session, *args, **kwargs)


def closed_story(session: Session, *, external_id: str = "C-ERASE-1") -> Story:
    """The child's case, closed with relief granted, with notes naming the child everywhere."""
    coordinator = f.UserFactory(role=Role.COORDINATOR, email="coord@example.org")
    child = f.ChildFactory(
        external_id=external_id,
        first_name=FIRST,
        last_name=LAST,
        a_number=A_NUMBER,
        birth_date=BIRTH,
    )
    rejected_by, declined_by, represented_by, conflicted = (f.AttorneyFactory() for _ in range(4))
    f.ConflictFactory(child=child, attorney=conflicted, reason=f"{LAST} family is a client")
    proposal = f.MatchFactory(child=child, attorney=rejected_by)
    to_decline = f.MatchFactory(child=child, attorney=declined_by)
    f.UnmatchedChildFactory(child=child, detail=f"{FIRST} left unmatched")
    f.AuditEventFactory(
        action="legacy_note",
        entity_type="child",
        entity_id=str(child.id),
        details={"note": f"Called {FIRST} {LAST} (A{A_NUMBER[:3]}-{A_NUMBER[3:6]}-{A_NUMBER[6:]})"},
    )
    session.commit()
    step(session, reject, proposal.id, coordinator, "other", f"{FIRST}'s aunt knows the firm")
    step(session, confirm, to_decline.id, coordinator)
    step(
        session,
        decline,
        to_decline.id,
        declined_by.id,
        with_note(DECLINE_REASONS, "other", f"I represent {LAST}'s sponsor"),
    )
    manual = step(
        session,
        manual_match,
        child.id,
        represented_by.id,
        coordinator,
        override_reason=f"{FIRST} asked for this attorney",
    )
    step(session, accept, manual.id, represented_by.id, True)
    step(
        session,
        close_case,
        manual.id,
        coordinator,
        "relief_granted",
        f"{FIRST} {LAST} won asylum, A-number {A_NUMBER}",
    )
    return Story(
        child.id,
        coordinator,
        {"rejected": proposal.id, "declined": to_decline.id, "closed": manual.id},
    )


def traces(session: Session, needles=NEEDLES) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text or JSON cell of every table holding a needle."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for column in columns:
            for value in session.scalars(select(column).where(column.is_not(None))):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found += [
                    (table.name, column.name, n) for n in needles if n.lower() in text.lower()
                ]
    return found


def child_row(session: Session, child_id: int) -> Child:
    session.expire_all()
    return session.get_one(Child, child_id)
