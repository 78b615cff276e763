"""What the attorney's offer and case pages read: only the signed-in attorney's own matches.

Before acceptance an offer shows only what DESIGN.md allows ("Offers": age, sex, languages,
country, court, case type, next hearing and tier, detained, siblings as count and ages); the
child's name, A-number and birth date are read only for accepted (and closed) cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from matcher.explain import CASE_TYPE_NAMES
from matcher.rules import CaseType, Tier, age_on, tier_for
from models.entities import Child, ChildLanguage, Court, Language, Match, MatchStatus
from models.erasure import shown_name
from models.settings import offer_deadline, offer_timing

# Statuses an attorney has seen: offers (awaiting, or answered without taking the case) and cases.
OFFER_STATUSES = (MatchStatus.CONFIRMED, MatchStatus.DECLINED, MatchStatus.EXPIRED)
CASE_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.CLOSED)


# Each child with its court and primary language in the same query (no query per row).
WITH_CHILD = (
    joinedload(Match.child).joinedload(Child.court),
    joinedload(Match.child).joinedload(Child.primary_language),
)


def own_match_or_404(
    session: Session, match_id: int, attorney_id: int, statuses: Collection[MatchStatus]
) -> Match:
    """The attorney's match in one of `statuses`; 404 for any other (never saying whose)."""
    match = session.scalars(
        select(Match)
        .options(*WITH_CHILD)
        .where(Match.id == match_id, Match.attorney_id == attorney_id, Match.status.in_(statuses))
    ).one_or_none()
    if match is None:
        abort(404)
    return match


@dataclass(frozen=True)
class OfferFacts:
    """One child as an offer shows it: nothing that names or identifies the child."""

    match_id: int
    age: int | None  # None: the record was erased (closed cases only)
    sex: str
    languages: list[str]  # primary first
    country: str
    court: str
    case_type: str
    next_hearing: date | None
    tier: Tier
    detained: bool


@dataclass(frozen=True)
class CaseRecord(OfferFacts):
    """One child's full record, for the attorney who accepted the case."""

    name: str = ""
    a_number: str | None = None
    birth_date: date | None = None
    external_id: str = ""


def _languages(session: Session, children: Sequence[Child]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for child in children:
        names[child.id].append(child.primary_language.name)
    for child_id, name in session.execute(
        select(ChildLanguage.child_id, Language.name)
        .join(Language, Language.id == ChildLanguage.language_id)
        .where(ChildLanguage.child_id.in_([c.id for c in children]))
        .order_by(ChildLanguage.child_id, Language.name)
    ):
        if name not in names[child_id]:
            names[child_id].append(name)
    return names


def _court_label(court: Court) -> str:
    return f"{court.name} ({court.city}, {court.state})"


def offer_facts(session: Session, matches: Sequence[Match], as_of: date) -> list[OfferFacts]:
    """The facts an offer shows of each match's child, in the order given."""
    children = [m.child for m in matches]
    languages = _languages(session, children)
    return [
        OfferFacts(
            match_id=m.id,
            age=age_on(m.child.birth_date, as_of) if m.child.birth_date else None,
            sex=m.child.sex,
            languages=languages[m.child_id],
            country=m.child.country_of_origin,
            court=_court_label(m.child.court),
            case_type=CASE_TYPE_NAMES[CaseType(m.child.case_type)],
            next_hearing=m.child.next_hearing_date,
            tier=tier_for(m.child.next_hearing_date, m.child.detained, as_of),
            detained=m.child.detained,
        )
        for m in matches
    ]


def case_records(session: Session, matches: Sequence[Match], as_of: date) -> list[CaseRecord]:
    """The full record of each accepted (or closed) case's child, in the order given."""
    if any(m.status not in CASE_STATUSES for m in matches):
        raise ValueError("a child's full record is shown only for an accepted case")
    return [
        CaseRecord(
            **vars(facts),
            name=shown_name(m.child.first_name, m.child.last_name, m.child.erased_at),
            a_number=m.child.a_number,
            birth_date=m.child.birth_date,
            external_id=m.child.external_id,
        )
        for m, facts in zip(matches, offer_facts(session, matches, as_of), strict=True)
    ]


def same_offer(session: Session, match: Match) -> list[Match]:
    """The matches answered with `match`: its siblings' matches to the same attorney in the same
    status, with it, in id order."""
    group_id = match.child.sibling_group_id
    if group_id is None:
        return [match]
    return list(
        session.scalars(
            select(Match)
            .options(*WITH_CHILD)
            .join(Child, Child.id == Match.child_id)
            .where(
                Child.sibling_group_id == group_id,
                Match.attorney_id == match.attorney_id,
                Match.status == match.status,
            )
            .order_by(Match.id)
        )
    )


def offers_awaiting(session: Session, attorney_id: int) -> list[list[Match]]:
    """The attorney's offers awaiting an answer, newest first; siblings offered together are one
    offer (a list of matches, in id order)."""
    matches = session.scalars(
        select(Match)
        .options(*WITH_CHILD)
        .where(Match.attorney_id == attorney_id, Match.status == MatchStatus.CONFIRMED)
        .order_by(Match.offered_at.desc(), Match.id)
    ).all()
    offers: dict[tuple[int, int], list[Match]] = {}
    for match in matches:
        group_id = match.child.sibling_group_id
        key = (1, group_id) if group_id is not None else (0, match.id)
        offers.setdefault(key, []).append(match)
    return [sorted(offer, key=lambda m: m.id) for offer in offers.values()]


def cases_of(session: Session, attorney_id: int, status: MatchStatus) -> list[Match]:
    """The attorney's accepted (open) or closed cases, most recent first."""
    order = Match.closed_at if status == MatchStatus.CLOSED else Match.answered_at
    return list(
        session.scalars(
            select(Match)
            .options(*WITH_CHILD)
            .where(Match.attorney_id == attorney_id, Match.status == status)
            .order_by(order.desc(), Match.id.desc())
        )
    )


def cases_with_records(
    session: Session, attorney_id: int, status: MatchStatus, as_of: date
) -> list[tuple[Match, CaseRecord]]:
    """The attorney's open (ACCEPTED) or closed cases (`cases_of`), each with its full record."""
    cases = cases_of(session, attorney_id, status)
    return list(zip(cases, case_records(session, cases, as_of), strict=True))


@dataclass(frozen=True)
class OfferRow:
    """One offer awaiting an answer, as the lists show it."""

    first: Match  # the offer's first match: its page
    facts: list[OfferFacts]  # one per child (siblings offered together)
    deadline: datetime | None


def offer_rows(session: Session, attorney_id: int, as_of: date) -> list[OfferRow]:
    """The attorney's offers awaiting an answer, newest first, with what the lists show (the
    deadline from the offer clock's current expiry)."""
    expiry_days = offer_timing(session).expiry_days
    return [
        OfferRow(
            offer[0],
            offer_facts(session, offer, as_of),
            offer_deadline(offer[0].offered_at, expiry_days),
        )
        for offer in offers_awaiting(session, attorney_id)
    ]
