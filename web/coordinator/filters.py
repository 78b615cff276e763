"""The filters the lists share (review queue, unmatched children, attorneys): the courts and
languages to choose from, and the conditions the chosen filters add to a query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from matcher.rules import CaseType
from models.entities import (
    AttorneyCourt,
    AttorneyLanguage,
    Child,
    ChildLanguage,
    Court,
    Language,
)

from .explanations import court_label


@dataclass(frozen=True)
class Choice:
    """One court or language a filter offers: what the list shows, and its row id."""

    label: str
    id: int


@dataclass(frozen=True)
class ChildChoices:
    """The courts and languages of the children (or attorneys) a list selects, code -> Choice,
    in the order the filter shows them."""

    courts: dict[str, Choice]
    languages: dict[str, Choice]

    def court_options(self) -> list[tuple[str, str]]:
        """(code, label) pairs, for the form's court field."""
        return [(code, choice.label) for code, choice in self.courts.items()]

    def language_options(self) -> list[tuple[str, str]]:
        """(code, name) pairs, for the form's language field."""
        return [(code, choice.label) for code, choice in self.languages.items()]


def filter_choices(session: Session, listed: list[ColumnElement[bool]]) -> ChildChoices:
    """Courts and languages of the children `listed` selects."""
    courts = {
        code: Choice(court_label(city, code), court_id)
        for court_id, code, city in session.execute(
            select(Court.id, Court.code, Court.city)
            .where(Court.id.in_(select(Child.court_id).where(*listed)))
            .order_by(Court.city, Court.code)
        )
    }
    spoken = (
        select(Child.primary_language_id)
        .where(*listed)
        .union(
            select(ChildLanguage.language_id)
            .join(Child, Child.id == ChildLanguage.child_id)
            .where(*listed)
        )
    )
    languages = {
        code: Choice(name, language_id)
        for language_id, code, name in session.execute(
            select(Language.id, Language.code, Language.name)
            .where(Language.id.in_(spoken))
            .order_by(Language.name)
        )
    }
    return ChildChoices(courts=courts, languages=languages)


def attorney_filter_choices(session: Session) -> ChildChoices:
    """Courts some attorney lists and languages some attorney speaks: two queries."""
    courts = {
        code: Choice(court_label(city, code), court_id)
        for court_id, code, city in session.execute(
            select(Court.id, Court.code, Court.city)
            .where(Court.id.in_(select(AttorneyCourt.court_id)))
            .order_by(Court.city, Court.code)
        )
    }
    languages = {
        code: Choice(name, language_id)
        for language_id, code, name in session.execute(
            select(Language.id, Language.code, Language.name)
            .where(Language.id.in_(select(AttorneyLanguage.language_id)))
            .order_by(Language.name)
        )
    }
    return ChildChoices(courts=courts, languages=languages)


def filter_conditions(
    chosen: dict[str, Any], choices: ChildChoices, tier: ColumnElement[int]
) -> list[ColumnElement[bool]]:
    """The conditions on Child of the filters `chosen` (court, language, case type, tier)."""
    conditions: list[ColumnElement[bool]] = []
    if "court" in chosen:
        conditions.append(Child.court_id == choices.courts[chosen["court"]].id)
    if "language" in chosen:
        language_id = choices.languages[chosen["language"]].id
        conditions.append(
            or_(
                Child.primary_language_id == language_id,
                exists().where(
                    ChildLanguage.child_id == Child.id, ChildLanguage.language_id == language_id
                ),
            )
        )
    if "case_type" in chosen:
        conditions.append(Child.case_type == CaseType(chosen["case_type"]))
    if "tier" in chosen:
        conditions.append(tier == int(chosen["tier"]))
    return conditions
