"""The court list as an admin keeps it (DESIGN.md "Administration and privacy"): add, edit,
close or reopen, and remove a court no record refers to.

A closed court keeps its children and attorneys, and matching goes on for them (a closed court's
children still need counsel); it is only no longer offered where a court is chosen anew (an
attorney's profile, a spreadsheet row for a child or attorney not yet there). A court in use is
never removed, only closed.

Values are read by the spreadsheet import's parsers (states, coordinates), so a court is judged
the way an imported row is. Problems come back per form field (`CourtInvalid`); a refused step
raises `CourtRefused`; nothing is written until all is well. Models never commit: the caller owns
`with session.begin():`, and every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .entities import AttorneyCourt, Child, Court, User
from .imports.cells import Invalid, parse_latitude, parse_longitude, parse_state
from .profiles import unsafe_text

_CODE = re.compile(r"[A-Z0-9]{2,8}")
# Longest text a coordinate field is read from (a real one is about 10 characters).
MAX_COORDINATE_CHARS = 32
FIELDS = ("code", "name", "city", "state", "latitude", "longitude", "detained_only")


class CourtInvalid(Exception):
    """What is wrong, by form field name; each message says what to write instead."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors


class CourtRefused(Exception):
    """The step cannot be taken now; nothing was changed. The message says why and what to do."""


@dataclass(frozen=True)
class CourtText:
    """A court as written in the form."""

    code: str
    name: str
    city: str
    state: str
    latitude: str
    longitude: str
    detained_only: bool = False


@dataclass(frozen=True)
class CourtValues:
    code: str
    name: str
    city: str
    state: str
    latitude: float
    longitude: float
    detained_only: bool

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class CourtUse:
    children: int
    attorneys: int

    @property
    def in_use(self) -> bool:
        return bool(self.children or self.attorneys)


def _limit(column: Any) -> int:
    length: int = column.property.columns[0].type.length
    return length


def read_court(session: Session, text: CourtText, *, court_id: int | None = None) -> CourtValues:
    """The court `text` describes (for court `court_id` when editing); raises CourtInvalid
    with every problem found."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message[:1].upper() + message[1:] + ".")

    cleaned = {}
    for name, limit in (
        ("code", _limit(Court.code)),
        ("name", _limit(Court.name)),
        ("city", _limit(Court.city)),
        ("state", 2),
        ("latitude", MAX_COORDINATE_CHARS),
        ("longitude", MAX_COORDINATE_CHARS),
    ):
        value = getattr(text, name).strip()
        problem = unsafe_text(value, limit)
        if problem:
            fail(name, problem)
        elif not value:
            fail(name, f"write the court's {name}")
        cleaned[name] = value if not problem else ""
    code = cleaned["code"].upper()
    if code and not _CODE.fullmatch(code):
        fail("code", "a code is 2 to 8 letters or digits, no spaces (e.g. HOU)")
    elif code and _code_taken(session, code, court_id):
        fail("code", f"the code {code} is taken by another court; choose another")
    state = latitude = longitude = None
    for name, parse in (
        ("state", parse_state),
        ("latitude", parse_latitude),
        ("longitude", parse_longitude),
    ):
        if cleaned[name]:
            try:
                parsed = parse(cleaned[name])
            except Invalid as invalid:
                fail(name, invalid.message)
                continue
            if name == "state":
                state = parsed
            elif name == "latitude":
                latitude = parsed
            else:
                longitude = parsed
    if errors:
        raise CourtInvalid(errors)
    assert state is not None and latitude is not None and longitude is not None
    return CourtValues(
        code=code,
        name=cleaned["name"],
        city=cleaned["city"],
        state=str(state),
        latitude=float(latitude),
        longitude=float(longitude),
        detained_only=text.detained_only,
    )


def _code_taken(session: Session, code: str, court_id: int | None) -> bool:
    """Codes are unique whatever their case (a spreadsheet's 'hou' is HOU)."""
    statement = select(Court.id).where(func.upper(Court.code) == code)
    if court_id is not None:
        statement = statement.where(Court.id != court_id)
    return session.scalar(statement.limit(1)) is not None


def court_use(session: Session, court_id: int) -> CourtUse:
    """How many children and attorneys refer to the court."""
    children = session.scalar(
        select(func.count()).select_from(Child).where(Child.court_id == court_id)
    )
    attorneys = session.scalar(
        select(func.count()).select_from(AttorneyCourt).where(AttorneyCourt.court_id == court_id)
    )
    return CourtUse(children or 0, attorneys or 0)


def _court(session: Session, court_id: int) -> Court:
    court = session.get(Court, court_id, populate_existing=True)
    if court is None:
        raise LookupError(f"There is no court {court_id}; it may have been removed.")
    return court


def add_court(session: Session, text: CourtText, user: User | str) -> Court:
    """Add a court (open); raises CourtInvalid, nothing added."""
    values = read_court(session, text)
    court = Court(**values.as_dict(), active=True)
    session.add(court)
    session.flush()
    audit.record(session, user, "court_added", "court", court.id, **values.as_dict())
    return court


def edit_court(session: Session, court_id: int, text: CourtText, user: User | str) -> list[str]:
    """Change a court's details; returns the names of the fields changed (audited with their
    old and new values: courts are public facts). Raises LookupError or CourtInvalid."""
    court = _court(session, court_id)
    values = read_court(session, text, court_id=court_id)
    changes = {
        name: {"old": getattr(court, name), "new": new}
        for name, new in values.as_dict().items()
        if getattr(court, name) != new
    }
    for name, change in changes.items():
        setattr(court, name, change["new"])
    if changes:
        session.flush()
        audit.record(session, user, "court_changed", "court", court_id, changes=changes)
    return list(changes)


def set_court_open(session: Session, court_id: int, open_: bool, user: User | str) -> Court:
    """Close a court (matching goes on for its records; it is no longer offered for new
    choices) or reopen it. Raises LookupError, or CourtRefused when it is so already."""
    court = _court(session, court_id)
    if court.active == open_:
        raise CourtRefused(f"Court {court.code} is {'open' if open_ else 'closed'} already.")
    court.active = open_
    session.flush()
    audit.record(
        session,
        user,
        "court_reopened" if open_ else "court_closed",
        "court",
        court_id,
        code=court.code,
    )
    return court


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def remove_court(session: Session, court_id: int, user: User | str) -> str:
    """Remove a court no child or attorney refers to; returns its code. A court in use is
    refused (CourtRefused): close it instead."""
    court = _court(session, court_id)
    use = court_use(session, court_id)
    if use.in_use:
        raise CourtRefused(
            f"Court {court.code} cannot be removed: {_count(use.children, 'child', 'children')} "
            f"and {_count(use.attorneys, 'attorney', 'attorneys')} refer to it. Close it "
            "instead: its records keep it and "
            "matching goes on, but it is no longer offered for new choices."
        )
    code = court.code
    session.delete(court)
    session.flush()
    audit.record(session, user, "court_removed", "court", court_id, code=code)
    return code
