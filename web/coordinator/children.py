"""GET /children/<id>: one child, the history of their proposals and decisions, language
correction and manual matches (with an eligible attorney, or overriding a rule with a reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, current_app, flash, redirect, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models.base import utcnow
from models.capacity import CAPACITY_HOLDING_STATUSES
from models.decisions import correct_languages, manual_match
from models.entities import (
    Attorney,
    AuditEvent,
    CaseStatus,
    Child,
    ChildLanguage,
    Language,
    Match,
    MatchEvent,
    MatchStatus,
    UnmatchedChild,
    User,
)
from models.pair_checks import (
    DecisionRefused,
    EligibleAttorney,
    check_pair,
    check_pairs,
    eligible_attorneys,
)
from models.queries import latest_succeeded_run
from models.reasons import reason_label
from models.reference import language_catalogue
from models.settings import offer_timing, retention_years

from ..extensions import get_session
from ..pagination import Page, requested_page
from ..security import signed_in_user
from . import bp
from .forms import (
    AttorneySearchForm,
    LanguagesForm,
    OfferForm,
    OverrideForm,
    OverrideSearchForm,
    RejectForm,
)
from .offers import offer_rows
from .pages import load_child, render_child_page
from .review import attorney_summaries, child_facts

# Attorneys an override search lists; a longer list asks for a narrower search.
OVERRIDE_SEARCH_LIMIT = 25
LANGUAGE_SEPARATOR = ";"


def masked_a_number(a_number: str | None) -> str | None:
    """Only the last three digits: enough to tell two children apart on the phone."""
    return a_number[-3:] if a_number else None


# --- the timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # a match status, "languages" or "unmatched": a marker for styles and tests
    what: str
    who: str | None  # a user's email, or the run that did it
    detail: str | None


def _match_entry(
    event: MatchEvent, attorney: str, run_id: int | None, manual: bool, email: str | None
) -> TimelineEntry:
    to = MatchStatus(event.to_status)
    what = {
        MatchStatus.PROPOSED: f"Proposed: {attorney}",
        MatchStatus.CONFIRMED: f"Confirmed: offer sent to {attorney}",
        MatchStatus.ACCEPTED: f"{attorney} accepted the case",
        MatchStatus.DECLINED: f"{attorney} declined the offer",
        MatchStatus.REJECTED: f"Rejected: {attorney}",
        MatchStatus.CLOSED: f"Case with {attorney} closed",
        MatchStatus.SUPERSEDED: f"Proposal of {attorney} replaced",
        MatchStatus.EXPIRED: f"Offer to {attorney} expired unanswered",
    }[to]
    if to == MatchStatus.CONFIRMED and event.from_status is None and manual:
        what = f"Matched by hand with {attorney}: offer sent"
    who = email or (f"run {run_id}" if to == MatchStatus.PROPOSED and run_id else None)
    return TimelineEntry(event.at, to.value, what, who, event.reason)


def child_timeline(session: Session, child_id: int) -> list[TimelineEntry]:
    """Proposals and decisions, language corrections and the latest run's reason for leaving
    the child unmatched, newest first: three queries and a name lookup."""
    entries = [
        _match_entry(event, attorney, run_id, manual, email)
        for event, attorney, run_id, manual, email in session.execute(
            select(MatchEvent, Attorney.name, Match.run_id, Match.manual, User.email)
            .join(Match, Match.id == MatchEvent.match_id)
            .join(Attorney, Attorney.id == Match.attorney_id)
            .outerjoin(User, User.id == MatchEvent.user_id)
            .where(Match.child_id == child_id)
        )
    ]
    corrections = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "child",
            AuditEvent.entity_id == str(child_id),
            AuditEvent.action == "child_languages_corrected",
        )
    ).all()
    codes: set[str] = set()
    for audited in corrections:
        d = audited.details
        codes.update([d["old_primary"], d["new_primary"], *d["old_others"], *d["new_others"]])
    names = dict(
        session.execute(select(Language.code, Language.name).where(Language.code.in_(codes))).all()
    )

    def named(codes: list[str]) -> str:
        return ", ".join(names.get(code, code) for code in codes) or "none"

    for audited in corrections:
        d = audited.details
        entries.append(
            TimelineEntry(
                audited.at,
                "languages",
                "Languages corrected",
                audited.actor,
                f"primary {named([d['old_primary']])} \N{RIGHTWARDS ARROW} "
                f"{named([d['new_primary']])}; others {named(d['old_others'])} "
                f"\N{RIGHTWARDS ARROW} {named(d['new_others'])}",
            )
        )
    latest = latest_succeeded_run(session)
    if latest is not None:
        why = session.scalar(
            select(UnmatchedChild).where(
                UnmatchedChild.run_id == latest.id, UnmatchedChild.child_id == child_id
            )
        )
        if why is not None:
            entries.append(
                TimelineEntry(
                    latest.finished_at or latest.started_at,
                    "unmatched",
                    f"Left unmatched: {reason_label(why.reason)}",
                    f"run {latest.id}",
                    why.detail,
                )
            )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


# --- the page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EligiblePage:
    page: Page[EligibleAttorney]
    searched: str


def _eligible_page(session: Session, child_id: int, query: str, today: date) -> EligiblePage:
    """The attorneys the engine would pair with the child now, best fit first, narrowed to
    those whose name or external id holds `query`, one page of them."""
    found = eligible_attorneys(session, child_id, today)
    if query:
        pattern = f"%{query.lower()}%"
        named = set(
            session.scalars(
                select(Attorney.id).where(
                    or_(
                        func.lower(Attorney.name).like(pattern),
                        func.lower(Attorney.external_id).like(pattern),
                        func.lower(Attorney.firm).like(pattern),
                    )
                )
            )
        )
        found = [e for e in found if e.attorney_id in named]
    per_page = int(current_app.config["PAGE_SIZE"])
    pages = max(1, -(-len(found) // per_page))
    number = min(requested_page(), pages)
    shown = found[(number - 1) * per_page : number * per_page]
    return EligiblePage(
        Page(items=shown, number=number, per_page=per_page, total=len(found)), query
    )


def _language_names(session: Session, child: Child) -> tuple[str, str]:
    others = session.scalars(
        select(Language.name)
        .join(ChildLanguage, ChildLanguage.language_id == Language.id)
        .where(ChildLanguage.child_id == child.id)
        .order_by(Language.name)
    ).all()
    return child.primary_language.name, f"{LANGUAGE_SEPARATOR} ".join(others)


def _render_child(child_id: int, languages: LanguagesForm, status: int = 200) -> tuple[str, int]:
    session = get_session()
    today = date.today()
    row = load_child(session, child_id)
    child = row.child
    current = session.execute(
        select(Match, Attorney.name)
        .join(Attorney, Attorney.id == Match.attorney_id)
        .where(
            Match.child_id == child_id,
            Match.status.in_((MatchStatus.PROPOSED, *CAPACITY_HOLDING_STATUSES)),
        )
        .order_by(Match.id)
    ).all()
    holding = next((row for row in current if row.Match.status != MatchStatus.PROPOSED), None)
    proposed = [row for row in current if row.Match.status == MatchStatus.PROPOSED]
    can_match = child.case_status == CaseStatus.OPEN and holding is None
    search = AttorneySearchForm()
    eligible = None
    attorneys = {}
    if can_match:
        eligible = _eligible_page(session, child_id, search.query, today)
        attorneys = attorney_summaries(session, [e.attorney_id for e in eligible.page.items])
    proposed_attorneys = attorney_summaries(session, [row.Match.attorney_id for row in proposed])
    if languages.primary.data is None and not languages.errors:
        languages.primary.data, languages.others.data = _language_names(session, child)
    common = session.scalars(
        select(Language.name).where(Language.common.is_(True)).order_by(Language.name)
    ).all()
    return (
        render_child_page(
            "coordinator/child.html",
            row,
            today,
            primary_language=row.primary_language,
            tier=row.tier,
            a_number_end=masked_a_number(child.a_number),
            facts=child_facts(session, [child]),
            timeline=child_timeline(session, child_id),
            offers=offer_rows(
                session,
                Match.child_id == child_id,
                now=utcnow(),
                expiry_days=offer_timing(session).expiry_days,
            ),
            holding=holding,
            proposed=proposed,
            proposed_attorneys=proposed_attorneys,
            can_match=can_match,
            eligible=eligible,
            attorneys=attorneys,
            search=search,
            override_search=OverrideSearchForm(formdata=None),
            languages=languages,
            common_languages=common,
            offer_form=OfferForm(formdata=None),
            reject_form=RejectForm(formdata=None),
            retention_years=retention_years(session),
        ),
        status,
    )


@bp.route("/children/<id:child_id>")
def child(child_id: int) -> tuple[str, int]:
    return _render_child(child_id, LanguagesForm(formdata=None))


# --- language correction --------------------------------------------------------------------


def _resolve_languages(session: Session, form: LanguagesForm) -> tuple[str, list[str]] | None:
    """The codes of what the form names, or None with the errors put on its fields."""
    catalogue = language_catalogue(session)

    def resolve(written: str, errors: list[str]) -> str | None:
        code = catalogue.resolve(written)
        if code is None:
            close = catalogue.suggest(written)
            hint = f" Did you mean {close}?" if close else ""
            errors.append(
                f"'{written}' is not in the language list.{hint} Write the name as in the list "
                "(e.g. Spanish, K'iche', Mam) or its ISO 639-3 code."
            )
        return code

    primary_errors: list[str] = []
    other_errors: list[str] = []
    primary = resolve((form.primary.data or "").strip(), primary_errors)
    written = [w.strip() for w in (form.others.data or "").split(LANGUAGE_SEPARATOR) if w.strip()]
    others = [resolve(w, other_errors) for w in written]
    if primary_errors or other_errors:
        form.primary.errors = list(form.primary.errors) + primary_errors
        form.others.errors = list(form.others.errors) + other_errors
        return None
    assert primary is not None
    return primary, [code for code in others if code is not None]


@bp.route("/children/<id:child_id>/languages", methods=["POST"])
def child_languages(child_id: int) -> Response | tuple[str, int]:
    session = get_session()
    form = LanguagesForm()
    user = signed_in_user()
    # Reads in a transaction of their own: each decision's transaction starts with its own.
    with session.begin():
        load_child(session, child_id)
        resolved = _resolve_languages(session, form) if form.validate_on_submit() else None
    if resolved is None:
        return _render_child(child_id, form, 400)
    primary, others = resolved
    with session.begin():
        change = correct_languages(session, child_id, primary, others, user)
    if change.changed:
        flash(
            "Languages saved. Proposals made for the old languages are checked again when "
            "confirmed.",
            "success",
        )
    else:
        flash("The languages were already these; nothing changed.", "info")
    return redirect(url_for(".child", child_id=child_id))


# --- manual match ---------------------------------------------------------------------------


def _match_flash(session: Session, match: Match | None, refused: DecisionRefused | None) -> None:
    if refused is not None:
        advice = (
            " To offer the case anyway, choose the attorney under 'Override a rule' and say why."
            if refused.overridable
            else ""
        )
        flash(f"Not offered: {refused}.{advice}", "error")
        return
    assert match is not None
    name = session.scalar(select(Attorney.name).where(Attorney.id == match.attorney_id))
    in_group = session.scalar(select(Child.sibling_group_id).where(Child.id == match.child_id))
    what = (
        "the case of this child and of the siblings still needing counsel"
        if in_group
        else ("the case")
    )
    flash(f"Offer sent: {name} is offered {what}.", "success")


def _offer(
    session: Session, child_id: int, attorney_id: int, override_reason: str | None = None
) -> tuple[Match | None, DecisionRefused | None]:
    """Match by hand in a transaction of its own: the match, or why it was refused; 404 if
    there is no such child or attorney."""
    user = signed_in_user()
    try:
        with session.begin():
            match = manual_match(
                session, child_id, attorney_id, user, override_reason=override_reason
            )
    except DecisionRefused as refused:
        return None, refused
    except LookupError:
        abort(404)
    return match, None


@bp.route("/children/<id:child_id>/offer", methods=["POST"])
def child_offer(child_id: int) -> Response:
    form = OfferForm()
    if not form.validate_on_submit() or form.attorney_id.data is None:
        abort(400)
    session = get_session()
    match, refused = _offer(session, child_id, form.attorney_id.data)
    _match_flash(session, match, refused)
    return redirect(url_for(".child", child_id=child_id))


def _active_attorneys_named(session: Session, query: str) -> tuple[list[int], int]:
    pattern = f"%{query.lower()}%"
    where = [
        Attorney.active.is_(True),
        or_(
            func.lower(Attorney.name).like(pattern),
            func.lower(Attorney.external_id).like(pattern),
        ),
    ]
    total = session.scalar(select(func.count()).select_from(Attorney).where(*where)) or 0
    ids = session.scalars(
        select(Attorney.id)
        .where(*where)
        .order_by(Attorney.name, Attorney.id)
        .limit(OVERRIDE_SEARCH_LIMIT)
    ).all()
    return list(ids), total


@bp.route("/children/<id:child_id>/override")
def child_override_search(child_id: int) -> str:
    """Any active attorney by name or external id, with the rules a match would override."""
    session = get_session()
    row = load_child(session, child_id)
    search = AttorneySearchForm()
    ids: list[int] = []
    total = 0
    if search.query:
        ids, total = _active_attorneys_named(session, search.query)
    checks = check_pairs(session, child_id, ids) if ids else {}
    return render_child_page(
        "coordinator/child_override_search.html",
        row,
        date.today(),
        search=search,
        attorneys=attorney_summaries(session, ids),
        order=ids,
        checks=checks,
        total=total,
        limit=OVERRIDE_SEARCH_LIMIT,
    )


@bp.route("/children/<id:child_id>/override/<id:attorney_id>", methods=["GET", "POST"])
def child_override(child_id: int, attorney_id: int) -> Response | tuple[str, int]:
    """Offer the case to one attorney whatever the matching rules say, with a reason."""
    session = get_session()
    form = OverrideForm()
    if form.validate_on_submit():
        match, refused = _offer(session, child_id, attorney_id, form.reason.data)
        if refused is None:
            _match_flash(session, match, None)
            return redirect(url_for(".child", child_id=child_id))
        flash(f"Not offered: {refused}.", "error")
        return redirect(url_for(".child_override", child_id=child_id, attorney_id=attorney_id))
    row = load_child(session, child_id)
    try:
        check = check_pair(session, child_id, attorney_id)
    except LookupError:
        abort(404)
    summary = attorney_summaries(session, [attorney_id])[attorney_id]
    return (
        render_child_page(
            "coordinator/child_override.html",
            row,
            date.today(),
            attorney=summary,
            check=check,
            form=form,
        ),
        400 if form.is_submitted() else 200,
    )
