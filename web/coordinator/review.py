"""GET /review (the queue of proposals awaiting review), POST confirm / reject, one or in bulk.

The queue lists every proposal still awaiting review (a new run replaces them, so they are the
latest run's), most urgent first, and reads one page with a fixed number of queries however
long the queue is. Every decision is re-checked by models.decisions at the moment it is taken.
A decision on a child of a sibling group acts on the group's proposals to that attorney, so the
messages name the siblings, and a bulk action counts a group once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from jobs.clock import load_schedule
from matcher.explain import CASE_TYPE_NAMES
from matcher.result import SCORE_PARTS
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel
from models.base import utcnow
from models.capacity import slots_by_attorney
from models.decisions import confirm, proposal_groups, reject
from models.entities import (
    Attorney,
    AttorneyExpertise,
    AttorneyLanguage,
    Child,
    ChildLanguage,
    Court,
    Language,
    Match,
    MatchRun,
    MatchStatus,
    User,
)
from models.erasure import shown_name
from models.pair_checks import DecisionRefused
from models.queries import tier_expression
from models.reasons import REJECTION_REASONS

from ..extensions import get_db, get_session
from ..pagination import paginate
from ..security import is_safe_next, signed_in_user
from . import bp
from .explanations import court_label
from .filters import ChildChoices, Choice, filter_choices, filter_conditions
from .forms import BulkForm, ConfirmForm, RejectForm, ReviewFilterForm
from .pages import load_child, render_child_page, render_list_page

SCORE_PART_LABELS = {
    "language": "language",
    "expertise": "expertise",
    "distance": "distance",
    "tender_age": "tender age",
    "load": "load",
    "kept": "kept proposal",
}
assert tuple(SCORE_PART_LABELS) == SCORE_PARTS, "SCORE_PART_LABELS must follow SCORE_PARTS"
LANGUAGE_LEVEL_ORDER = {LanguageLevel.NATIVE: 0, LanguageLevel.FLUENT: 1, LanguageLevel.WORKING: 2}
# Per-item lines a bulk report flashes (the session cookie holds them); the rest are counted.
MAX_REPORTED_ITEMS = 25
# Where a decision may send the coordinator back to.
RETURN_PREFIXES = ("/review", "/children/")


# --- what a row shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class AttorneySummary:
    id: int
    external_id: str
    name: str
    firm: str
    email: str
    languages: list[tuple[str, str]]  # (language name, level), best level first
    expertise: dict[CaseType, ExpertiseLevel]
    capacity: int
    load: int  # cases carried: imported active cases, accepted matches, confirmed offers

    def expertise_in(self, case_type: CaseType) -> str:
        level = self.expertise.get(CaseType(case_type))
        return level.value if level else "none"


def attorney_summaries(
    session: Session, attorney_ids: Collection[int]
) -> dict[int, AttorneySummary]:
    """Who each attorney is, what they speak and cover, and their load: four queries."""
    if not attorney_ids:
        return {}
    languages: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for attorney_id, name, level in session.execute(
        select(AttorneyLanguage.attorney_id, Language.name, AttorneyLanguage.level)
        .join(Language, Language.id == AttorneyLanguage.language_id)
        .where(AttorneyLanguage.attorney_id.in_(attorney_ids))
        .order_by(AttorneyLanguage.attorney_id, Language.name)
    ):
        languages[attorney_id].append((name, LanguageLevel(level)))
    for spoken in languages.values():
        spoken.sort(key=lambda pair: LANGUAGE_LEVEL_ORDER[LanguageLevel(pair[1])])
    expertise: dict[int, dict[CaseType, ExpertiseLevel]] = defaultdict(dict)
    for attorney_id, case_type, level in session.execute(
        select(
            AttorneyExpertise.attorney_id, AttorneyExpertise.case_type, AttorneyExpertise.level
        ).where(AttorneyExpertise.attorney_id.in_(attorney_ids))
    ):
        expertise[attorney_id][CaseType(case_type)] = ExpertiseLevel(level)
    slots = slots_by_attorney(session, attorney_ids)
    return {
        row.id: AttorneySummary(
            id=row.id,
            external_id=row.external_id,
            name=row.name,
            firm=row.firm,
            email=row.email,
            languages=[(name, LanguageLevel(level).value) for name, level in languages[row.id]],
            expertise=expertise[row.id],
            capacity=row.capacity,
            load=slots[row.id].load,
        )
        for row in session.execute(
            select(
                Attorney.id,
                Attorney.external_id,
                Attorney.name,
                Attorney.firm,
                Attorney.email,
                Attorney.capacity,
            ).where(Attorney.id.in_(attorney_ids))
        )
    }


@dataclass(frozen=True)
class ChildFacts:
    """What the queue and the child page show of a child besides its own columns."""

    other_languages: dict[int, list[str]]  # child id -> language names
    siblings: dict[int, list[tuple[int, str]]]  # child id -> (sibling id, name)


def child_facts(session: Session, children: Iterable[Child]) -> ChildFacts:
    """Other languages and siblings of `children`: two queries."""
    children = list(children)
    ids = [child.id for child in children]
    other_languages: dict[int, list[str]] = defaultdict(list)
    for child_id, name in session.execute(
        select(ChildLanguage.child_id, Language.name)
        .join(Language, Language.id == ChildLanguage.language_id)
        .where(ChildLanguage.child_id.in_(ids))
        .order_by(ChildLanguage.child_id, Language.name)
    ):
        other_languages[child_id].append(name)
    groups = {child.sibling_group_id for child in children if child.sibling_group_id is not None}
    in_group: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if groups:
        for sibling_id, group_id, first, last, erased_at in session.execute(
            select(
                Child.id,
                Child.sibling_group_id,
                Child.first_name,
                Child.last_name,
                Child.erased_at,
            )
            .where(Child.sibling_group_id.in_(groups))
            .order_by(Child.id)
        ):
            in_group[group_id].append((sibling_id, shown_name(first, last, erased_at)))
    siblings = {
        child.id: [s for s in in_group[child.sibling_group_id] if s[0] != child.id]
        for child in children
        if child.sibling_group_id is not None
    }
    return ChildFacts(other_languages=other_languages, siblings=siblings)


def case_type_name(case_type: CaseType | str) -> str:
    return CASE_TYPE_NAMES[CaseType(case_type)]


def score_parts(parts: dict[str, float]) -> list[tuple[str, float]]:
    """The parts of a score in display order, with their labels."""
    return [(SCORE_PART_LABELS[key], float(parts[key])) for key in SCORE_PARTS if key in parts]


# --- the queue ------------------------------------------------------------------------------


def _awaiting_review() -> Any:
    return Child.id.in_(select(Match.child_id).where(Match.status == MatchStatus.PROPOSED))


def _next_nightly_run() -> datetime | None:
    schedule = load_schedule(get_db())
    fire: datetime | None = schedule.trigger(schedule.nightly_match).get_next_fire_time(
        None, utcnow()
    )
    return fire


def _keep_requested_choices(session: Session, choices: ChildChoices) -> None:
    """Keep a court or language the coordinator filters by as a choice even once no proposal
    has it (the last one was just decided): the filter then shows an empty list, not all."""
    # A value holding NUL is no code (and PostgreSQL refuses to compare it): the form says so.
    court = request.args.get("court", "")
    if court and "\x00" not in court and court not in choices.courts:
        row = session.execute(select(Court.id, Court.city).where(Court.code == court)).first()
        if row is not None:
            choices.courts[court] = Choice(court_label(row.city, court), row.id)
    language = request.args.get("language", "")
    if language and "\x00" not in language and language not in choices.languages:
        found = session.execute(
            select(Language.id, Language.name).where(Language.code == language)
        ).first()
        if found is not None:
            choices.languages[language] = Choice(found.name, found.id)


@dataclass(frozen=True)
class AttorneyFilter:
    """The queue narrowed to one attorney's proposals (`?attorney=<external id>`)."""

    asked: str  # the external id asked for, as shown back
    attorney_id: int | None  # None when no attorney has that external id
    attorney_name: str = ""

    def condition(self) -> Any:
        return Match.attorney_id == (-1 if self.attorney_id is None else self.attorney_id)


def _attorney_filter(session: Session, chosen: dict[str, Any]) -> AttorneyFilter | None:
    """The attorney filter asked for, if any. An id no attorney has (or one too long to be an
    id) narrows the queue to nothing rather than being left out: the coordinator asked for one
    attorney's proposals, not everyone's. Marks the filter chosen either way."""
    asked = (request.args.get("attorney") or "").replace("\x00", "").strip()
    if not asked:
        chosen.pop("attorney", None)
        return None
    found = None
    if "attorney" in chosen:
        found = session.execute(
            select(Attorney.id, Attorney.name).where(Attorney.external_id == asked)
        ).first()
    chosen["attorney"] = asked
    if found is None:
        return AttorneyFilter(asked[:64], None)
    return AttorneyFilter(asked, found.id, found.name)


def _render_queue(bulk: BulkForm, status: int = 200) -> tuple[str, int]:
    session = get_session()
    today = date.today()
    tier = tier_expression(today)
    choices = filter_choices(session, [_awaiting_review()])
    _keep_requested_choices(session, choices)
    filters = ReviewFilterForm()
    filters.set_choices(courts=choices.court_options(), languages=choices.language_options())
    chosen = filters.chosen()
    by_attorney = _attorney_filter(session, chosen)
    page = paginate(
        session,
        select(Match, Child, Court.code, Court.city, Language.name, tier.label("tier"))
        .join(Child, Child.id == Match.child_id)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(
            Match.status == MatchStatus.PROPOSED,
            *filter_conditions(chosen, choices, tier),
            *([by_attorney.condition()] if by_attorney else []),
        )
        .order_by(tier, Child.next_hearing_date.asc().nulls_last(), Child.id, Match.id),
        scalars=False,
    )
    facts = child_facts(session, (row.Child for row in page.items))
    attorneys = attorney_summaries(session, {row.Match.attorney_id for row in page.items})
    empty = page.total == 0 and not chosen
    ticked = set(bulk.match_ids.data or [])
    return (
        render_list_page(
            "coordinator/review.html",
            filters,
            chosen,
            page,
            facts=facts,
            attorneys=attorneys,
            runs=session.scalars(
                select(MatchRun)
                .where(
                    MatchRun.id.in_(
                        select(Match.run_id).where(Match.status == MatchStatus.PROPOSED)
                    )
                )
                .order_by(MatchRun.id)
            ).all(),
            next_run=_next_nightly_run() if empty else None,
            runs_page="coordinator.runs" in current_app.view_functions,
            today=today,
            by_attorney=by_attorney,
            bulk=bulk,
            ticked=ticked,
            confirm_form=ConfirmForm(),
            reject_form=RejectForm(formdata=None),
            query=request.args.to_dict(),
        ),
        status,
    )


@bp.route("/review")
def review() -> tuple[str, int]:
    return _render_queue(BulkForm(formdata=None))


# --- decisions ------------------------------------------------------------------------------


def _labels(session: Session, match_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """match id -> (child external id, attorney name), for messages: no child names, so
    that nothing identifying travels in the flash cookie."""
    return {
        match_id: (external_id, name)
        for match_id, external_id, name in session.execute(
            select(Match.id, Child.external_id, Attorney.name)
            .join(Child, Child.id == Match.child_id)
            .join(Attorney, Attorney.id == Match.attorney_id)
            .where(Match.id.in_(match_ids))
        )
    }


def _groups(session: Session, match_ids: Collection[int]) -> dict[int, tuple[int, ...]]:
    """The proposals a decision on each match acts on (see proposal_groups), read before the
    decision in a transaction of its own, so that the decision's lock comes first in its own."""
    with session.begin():
        groups = proposal_groups(session, match_ids)
    return {match_id: groups.get(match_id, (match_id,)) for match_id in match_ids}


def _item(
    labels: dict[int, tuple[str, str]], match_id: int, group: tuple[int, ...]
) -> tuple[str, str]:
    """(children, attorney) of a decision for messages: "C-1" or "C-1 and sibling C-2"."""
    child, attorney = labels.get(match_id, (f"proposal {match_id}", "?"))
    others = [labels[m][0] for m in group if m != match_id and m in labels]
    if others:
        child += f" and sibling{'s' if len(others) > 1 else ''} {', '.join(others)}"
    return child, attorney


def return_url(target: str | None) -> str:
    """The page a decision was taken on (the queue with its filters, or a child's page), if
    `target` is one; else the queue."""
    if target and is_safe_next(target) and target.startswith(RETURN_PREFIXES):
        return target
    return url_for(".review")


def _back(form: ConfirmForm | RejectForm) -> Response:
    return redirect(return_url(form.return_to.data))


def _decide(
    session: Session, user: User, match_id: int, action: str, reason: str, note: str
) -> str | None:
    """Take one decision in its own transaction; None when done, else why it was refused.

    Nothing may be read in the transaction before the decision takes its lock (see
    models.decisions), so the user is fetched by the caller, before any transaction.
    """
    try:
        with session.begin():
            if action == "confirm":
                confirm(session, match_id, user)
            else:
                reject(session, match_id, user, reason, note)
    except DecisionRefused as refused:
        return str(refused)
    except LookupError:
        return "there is no such proposal any more"
    return None


def _flash_refused(verb: str, child: str, attorney: str, why: str) -> None:
    """The message of a decision that was refused; `verb` is "confirmed" or "rejected"."""
    flash(f"Not {verb}: {child} with {attorney}: {why}.", "error")


@dataclass(frozen=True)
class Decided:
    """One decision taken from a page, for its message."""

    group: tuple[int, ...]  # the proposals it acted on
    child: str  # as _item names them
    attorney: str
    refused: str | None  # why it was refused, or None when done


def _decide_one(session: Session, match_id: int, action: str, reason: str, note: str) -> Decided:
    """Take the decision on one proposal (and its siblings'); 404 if there is no such proposal."""
    group = _groups(session, [match_id])[match_id]
    refused = _decide(session, signed_in_user(), match_id, action, reason, note)
    labels = _labels(session, group)
    if match_id not in labels:
        abort(404)
    child, attorney = _item(labels, match_id, group)
    return Decided(group, child, attorney, refused)


@bp.route("/review/<id:match_id>/confirm", methods=["POST"])
def confirm_proposal(match_id: int) -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    decided = _decide_one(get_session(), match_id, "confirm", "", "")
    if decided.refused:
        _flash_refused("confirmed", decided.child, decided.attorney, decided.refused)
    else:
        cases = "cases" if len(decided.group) > 1 else "case"
        flash(
            f"Confirmed: {decided.attorney} is offered the {cases} of {decided.child}.", "success"
        )
    return _back(form)


@bp.route("/review/<id:match_id>/reject", methods=["GET", "POST"])
def reject_proposal(match_id: int) -> Response | tuple[str, int]:
    session = get_session()
    form = RejectForm()
    if form.validate_on_submit():
        reason = form.reason.data or ""
        decided = _decide_one(session, match_id, "reject", reason, form.note.data or "")
        if decided.refused:
            _flash_refused("rejected", decided.child, decided.attorney, decided.refused)
        else:
            flash(
                f"Rejected: {decided.attorney} for {decided.child} "
                f"({REJECTION_REASONS[reason]}); this pair is not proposed "
                f"{'again' if len(decided.group) == 1 else 'again for these siblings'}.",
                "success",
            )
        return _back(form)
    match = session.get(Match, match_id)
    if match is None:
        abort(404)
    row = load_child(session, match.child_id)
    if request.method == "GET" and not form.return_to.data:
        form.return_to.data = request.args.get("return_to", "")
    attorney = attorney_summaries(session, [match.attorney_id])[match.attorney_id]
    siblings = child_facts(session, [row.child]).siblings.get(row.child.id, [])
    return (
        render_child_page(
            "coordinator/review_reject.html",
            row,
            date.today(),
            form=form,
            match=match,
            attorney=attorney,
            siblings=siblings,
            back=return_url(form.return_to.data),
        ),
        400 if request.method == "POST" else 200,
    )


@bp.route("/review/bulk", methods=["POST"])
def review_bulk() -> Response | tuple[str, int]:
    """Confirm or reject the ticked proposals, each re-checked in its own transaction; report
    per item what was done and what was refused and why. Siblings' proposals to one attorney
    are one item, decided once however many of them are ticked."""
    form = BulkForm()
    if not form.validate_on_submit():
        return _render_queue(form, 400)
    session = get_session()
    action = form.action.data or ""
    ids = list(dict.fromkeys(form.match_ids.data or []))
    user = signed_in_user()
    reason, note = form.reason.data or "", form.note.data or ""
    groups = _groups(session, ids)
    items: dict[tuple[int, ...], int] = {}  # group -> the ticked match decided for it
    for match_id in ids:
        items.setdefault(groups[match_id], match_id)
    outcomes = {
        group: _decide(session, user, m, action, reason, note) for group, m in items.items()
    }
    labels = _labels(session, [m for group in items for m in group])
    done = [group for group, refused in outcomes.items() if refused is None]
    refused = [(group, why) for group, why in outcomes.items() if why is not None]
    verb = "Confirmed" if action == "confirm" else "Rejected"
    if done:
        listed = ", ".join(
            "{} with {}".format(*_item(labels, items[group], group))
            for group in done[:MAX_REPORTED_ITEMS]
        )
        more = len(done) - MAX_REPORTED_ITEMS
        flash(
            f"{verb} {len(done)} of {len(items)}: {listed}"
            + (f" and {more} more." if more > 0 else "."),
            "success",
        )
    for group, why in refused[:MAX_REPORTED_ITEMS]:
        _flash_refused(verb.lower(), *_item(labels, items[group], group), why)
    if len(refused) > MAX_REPORTED_ITEMS:
        flash(
            f"{len(refused) - MAX_REPORTED_ITEMS} more were not {verb.lower()}; those still "
            "awaiting review stay in the queue.",
            "error",
        )
    return redirect(url_for(".review", **request.args.to_dict()))
