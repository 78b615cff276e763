"""GET /attorneys (every attorney profile, searchable and filterable) and /attorneys/<id> (one
attorney: profile, load, proposals, offers and cases).

The list reads one page with a fixed number of queries however many attorneys there are: the
filter choices, the count, the page (with each attorney's account and leave), and, for the page's
attorneys only, their slots (models.capacity, the one definition), languages and courts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, render_template
from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel
from models.base import utcnow
from models.capacity import attorney_load, on_leave, slots_by_attorney, slots_select
from models.entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    Court,
    Language,
    LeavePeriod,
    Match,
    MatchStatus,
    User,
    VolunteerStatus,
)
from models.settings import offer_timing

from ..extensions import get_session
from ..pagination import paginate
from . import bp
from .explanations import court_label
from .filters import ChildChoices, attorney_filter_choices
from .forms import ACCOUNT_STATUS_CHOICES, PROFILE_STATUS_CHOICES, AttorneyFilterForm
from .offers import offer_rows
from .pages import render_list_page
from .review import LANGUAGE_LEVEL_ORDER, case_type_name

EXPERTISE_ORDER = {ExpertiseLevel.EXPERT: 0, ExpertiseLevel.EXPERIENCED: 1}


# --- statuses, as SQL (to filter) and as labels (to show) -----------------------------------


def account_status() -> ColumnElement[str]:
    """The attorney's account: none, invited (never signed in), active or inactive (needs the
    outer join of User on User.attorney_id)."""
    return case(
        (User.id.is_(None), "none"),
        (User.active.is_(False), "inactive"),
        (User.last_login_at.is_(None), "invited"),
        else_="active",
    )


def profile_status() -> ColumnElement[str]:
    """The profile: a volunteer's awaiting approval or declined, else active or inactive."""
    return case(
        (Attorney.volunteer_status == VolunteerStatus.PENDING, "pending"),
        (Attorney.volunteer_status == VolunteerStatus.DECLINED, "declined"),
        (Attorney.active.is_(True), "active"),
        else_="inactive",
    )


def _escaped_like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(query: str) -> ColumnElement[bool]:
    """Attorneys whose name, e-mail, firm or external id holds `query`, in any case."""
    pattern = _escaped_like(query)
    return or_(
        *(
            func.lower(column).like(pattern, escape="\\")
            for column in (Attorney.name, Attorney.email, Attorney.firm, Attorney.external_id)
        )
    )


def attorney_conditions(
    chosen: dict[str, Any], choices: ChildChoices, account: ColumnElement[str]
) -> list[ColumnElement[bool]]:
    """The conditions on Attorney of the filters `chosen`."""
    conditions: list[ColumnElement[bool]] = []
    if chosen.get("q", "").strip():
        conditions.append(search_condition(chosen["q"].strip()))
    if "court" in chosen:
        court_id = choices.courts[chosen["court"]].id
        conditions.append(
            exists().where(
                AttorneyCourt.attorney_id == Attorney.id, AttorneyCourt.court_id == court_id
            )
        )
    if "language" in chosen:
        language_id = choices.languages[chosen["language"]].id
        conditions.append(
            exists().where(
                AttorneyLanguage.attorney_id == Attorney.id,
                AttorneyLanguage.language_id == language_id,
            )
        )
    if "slots" in chosen:
        free = slots_select().subquery("slots")
        with_free = select(free.c.id).where(free.c.free > 0)
        has_free = Attorney.id.in_(with_free)
        conditions.append(has_free if chosen["slots"] == "free" else ~has_free)
    if "account" in chosen:
        conditions.append(account == chosen["account"])
    if "profile" in chosen:
        conditions.append(profile_status() == chosen["profile"])
    return conditions


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttorneyFacts:
    """Languages (name, level; best first) and courts (labels) of some attorneys, by id."""

    languages: dict[int, list[tuple[str, str]]]
    courts: dict[int, list[str]]


def attorney_facts(session: Session, attorney_ids: Collection[int]) -> AttorneyFacts:
    """The languages and courts of `attorney_ids`: two queries."""
    languages: dict[int, list[tuple[str, str]]] = defaultdict(list)
    courts: dict[int, list[str]] = defaultdict(list)
    if not attorney_ids:
        return AttorneyFacts(languages, courts)
    spoken = session.execute(
        select(AttorneyLanguage.attorney_id, Language.name, AttorneyLanguage.level)
        .join(Language, Language.id == AttorneyLanguage.language_id)
        .where(AttorneyLanguage.attorney_id.in_(attorney_ids))
        .order_by(Language.name)
    ).all()
    for attorney_id, name, level in sorted(
        spoken, key=lambda row: LANGUAGE_LEVEL_ORDER[LanguageLevel(row.level)]
    ):
        languages[attorney_id].append((name, LanguageLevel(level).value))
    for attorney_id, code, city in session.execute(
        select(AttorneyCourt.attorney_id, Court.code, Court.city)
        .join(Court, Court.id == AttorneyCourt.court_id)
        .where(AttorneyCourt.attorney_id.in_(attorney_ids))
        .order_by(Court.city, Court.code)
    ):
        courts[attorney_id].append(court_label(city, code))
    return AttorneyFacts(languages, courts)


@bp.route("/attorneys")
def attorneys() -> str:
    """Every attorney profile, by name, 50 a page, with load, free slots and account."""
    session = get_session()
    today = date.today()
    choices = attorney_filter_choices(session)
    form = AttorneyFilterForm()
    form.set_choices(courts=choices.court_options(), languages=choices.language_options())
    chosen = form.chosen()
    if not str(chosen.get("q", "")).strip():
        chosen.pop("q", None)
    account = account_status()
    page = paginate(
        session,
        select(
            Attorney,
            account.label("account"),
            profile_status().label("profile"),
            on_leave(today).label("on_leave"),
        )
        .outerjoin(User, User.attorney_id == Attorney.id)
        .where(*attorney_conditions(chosen, choices, account))
        .order_by(func.lower(Attorney.name), Attorney.id),
        scalars=False,
    )
    ids = [row.Attorney.id for row in page.items]
    return render_list_page(
        "coordinator/attorneys.html",
        form,
        chosen,
        page,
        slots=slots_by_attorney(session, ids),
        facts=attorney_facts(session, ids),
        account_labels=ACCOUNT_STATUS_CHOICES,
        profile_labels=PROFILE_STATUS_CHOICES,
        searched=chosen.get("q", ""),
    )


# --- one attorney ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What an attorney's page shows of their profile besides its own columns."""

    languages: list[tuple[str, str]]  # (name, level), best first
    courts: list[str]
    states: list[str]
    expertise: list[tuple[str, str]]  # (case type name, level), best first
    leave: list[LeavePeriod]  # by start date


def attorney_profile(session: Session, attorney: Attorney) -> Profile:
    """Languages, courts, states, expertise and leave of `attorney`: five small queries."""
    facts = attorney_facts(session, [attorney.id])
    states = session.scalars(
        select(AttorneyState.state)
        .where(AttorneyState.attorney_id == attorney.id)
        .order_by(AttorneyState.state)
    ).all()
    expertise = sorted(
        session.execute(
            select(AttorneyExpertise.case_type, AttorneyExpertise.level).where(
                AttorneyExpertise.attorney_id == attorney.id
            )
        ).all(),
        key=lambda row: (EXPERTISE_ORDER.get(ExpertiseLevel(row.level), 2), row.case_type),
    )
    leave = session.scalars(
        select(LeavePeriod)
        .where(LeavePeriod.attorney_id == attorney.id)
        .order_by(LeavePeriod.start_date)
    ).all()
    return Profile(
        languages=facts.languages[attorney.id],
        courts=facts.courts[attorney.id],
        states=list(states),
        expertise=[
            (case_type_name(CaseType(ct)), ExpertiseLevel(level).value) for ct, level in expertise
        ],
        leave=list(leave),
    )


@bp.route("/attorneys/<id:attorney_id>")
def attorney(attorney_id: int) -> str:
    """One attorney: profile, load against capacity, proposals, offers and cases."""
    session = get_session()
    today = date.today()
    found = session.execute(
        select(
            Attorney,
            account_status().label("account"),
            profile_status().label("profile"),
            User,
        )
        .outerjoin(User, User.attorney_id == Attorney.id)
        .where(Attorney.id == attorney_id)
    ).one_or_none()
    load = attorney_load(session, attorney_id, today)
    if found is None or load is None:
        abort(404)
    record: Attorney = found.Attorney
    proposals = (
        session.scalar(
            select(func.count())
            .select_from(Match)
            .where(Match.attorney_id == attorney_id, Match.status == MatchStatus.PROPOSED)
        )
        or 0
    )
    timing = offer_timing(session)
    offers = offer_rows(
        session, Match.attorney_id == attorney_id, now=utcnow(), expiry_days=timing.expiry_days
    )
    by_status: dict[MatchStatus, list[Any]] = defaultdict(list)
    for offer in offers:
        by_status[offer.status].append(offer)
    return render_template(
        "coordinator/attorney.html",
        attorney=record,
        account=found.account,
        account_labels=ACCOUNT_STATUS_CHOICES,
        account_user=found.User,
        profile=attorney_profile(session, record),
        profile_label=PROFILE_STATUS_CHOICES[found.profile],
        load=load,
        proposals=proposals,
        waiting=by_status[MatchStatus.CONFIRMED],
        turned_down=sorted(
            by_status[MatchStatus.DECLINED] + by_status[MatchStatus.EXPIRED],
            key=lambda offer: offer.answered_at or offer.offered_at or utcnow(),
            reverse=True,
        ),
        accepted=by_status[MatchStatus.ACCEPTED],
        closed=by_status[MatchStatus.CLOSED],
        expiry_days=timing.expiry_days,
        today=today,
    )
