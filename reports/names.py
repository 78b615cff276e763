"""What the snapshot-based reports show for the ids and codes they keep: courts and languages."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Court, Language


class CourtName(NamedTuple):
    code: str
    city: str
    state: str

    @property
    def label(self) -> str:
        return f"{self.city} ({self.code})"


def courts_by_id(session: Session) -> dict[int, CourtName]:
    return {
        court_id: CourtName(code, city, state)
        for court_id, code, city, state in session.execute(
            select(Court.id, Court.code, Court.city, Court.state)
        )
    }


def language_names(session: Session) -> dict[str, str]:
    """ISO 639-3 code -> the catalogue's name (a code not in it is shown as the code)."""
    return {code: name for code, name in session.execute(select(Language.code, Language.name))}
