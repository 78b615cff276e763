"""GET /runs (history), POST /runs ("Run now"), GET /runs/<id> (one run, live while it runs),
GET /children/unmatched (every child still without an attorney, and why)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from jobs.matching import start_run_in_background
from jobs.runlock import RunInProgress
from matcher.rules import CaseType, Tier
from models import audit
from models.base import utcnow
from models.entities import (
    CaseStatus,
    Child,
    ChildLanguage,
    Court,
    Language,
    Match,
    MatchRun,
    MatchStatus,
    RunStatus,
    UnmatchedChild,
    User,
)
from models.queries import latest_succeeded_run, tier_expression

from ..extensions import get_db, get_session
from ..pagination import paginate
from ..security import signed_in_user
from . import bp
from .explanations import (
    NOT_YET_CONSIDERED,
    NOT_YET_CONSIDERED_LABEL,
    REASON_LABELS,
    attorney_counts,
    closest_attorneys,
    court_label,
    reason_label,
    summarise_unmatched,
)
from .ops_forms import RunNowForm, UnmatchedFilterForm

STAGE_LABELS = {
    "loading": "Loading children and attorneys",
    "solving": "Solving",
    "saving": "Saving the proposals",
}
TIMING_LABELS = {
    "load": "load",
    "baseline": "greedy baseline",
    "save": "save",
}
TRIGGER_LABELS = {"schedule": "Nightly schedule", "command": "Command line", "web": "Run now"}
# A child with one of these matches is spoken for or proposed: not on the unmatched list.
ACTIVE_MATCH_STATUSES = (MatchStatus.PROPOSED, MatchStatus.CONFIRMED, MatchStatus.ACCEPTED)
TIERS = tuple(f"T{tier.value}" for tier in Tier)
# Seconds between reloads of a running run's page.
REFRESH_S = 3


# --- history ----------------------------------------------------------------------------------


@bp.route("/runs", methods=["GET"])
def runs() -> str:
    session = get_session()
    page = paginate(
        session,
        select(MatchRun, User.email)
        .outerjoin(User, User.id == MatchRun.started_by_id)
        .order_by(MatchRun.id.desc()),
        scalars=False,
    )
    running = session.scalar(
        select(MatchRun).where(MatchRun.status == RunStatus.RUNNING).order_by(MatchRun.id.desc())
    )
    return render_template(
        "coordinator/runs.html",
        page=page,
        running=running,
        form=RunNowForm(),
        now=utcnow(),
        **_run_helpers(),
    )


@bp.route("/runs", methods=["POST"])
def run_now() -> Response:
    """Start a run in the background and show its page; refuse while another run holds the
    lock (the nightly job's, another coordinator's or the command line's)."""
    form = RunNowForm()
    if not form.validate_on_submit():
        # CSRFProtect has already refused a missing or wrong token; nothing else can fail.
        flash("The run was not started: please try again.", "error")
        return redirect(url_for(".runs"))
    user = signed_in_user()
    session = get_session()
    try:
        run_id = start_run_in_background(
            get_db(),
            as_of=date.today(),
            trigger="web",
            started_by=user,
            lock_stale_s=current_app.config["LOCK_STALE_S"],
        )
    except RunInProgress as busy:
        with session.begin():
            audit.record(session, user, "match_run_refused", "match_run", busy.run_id)
        if busy.run_id is None:
            flash("Another run is in progress; this one was not started.", "error")
            return redirect(url_for(".runs"))
        since = f" since {busy.since:%H:%M} UTC" if busy.since is not None else ""
        flash(f"Run {busy.run_id} has been in progress{since}; it was not started again.", "error")
        return redirect(url_for(".run", run_id=busy.run_id))
    with session.begin():
        audit.record(session, user, "match_run_started", "match_run", run_id, trigger="web")
    flash(f"Run {run_id} started. This page shows its progress.", "info")
    return redirect(url_for(".run", run_id=run_id))


@bp.route("/runs/<int:run_id>")
def run(run_id: int) -> Response:
    """One run: its progress while it runs (the page reloads itself unless asked not to), its
    statistics and unmatched reasons once done."""
    session = get_session()
    found = session.execute(
        select(MatchRun, User.email)
        .outerjoin(User, User.id == MatchRun.started_by_id)
        .where(MatchRun.id == run_id)
    ).one_or_none()
    if found is None:
        raise NotFound(f"There is no run {run_id}.")
    match_run, started_by = found
    summary = None
    matches_by_status: dict[str, int] = {}
    if match_run.status == RunStatus.SUCCEEDED:
        summary = summarise_unmatched(
            session, [UnmatchedChild.run_id == match_run.id], UnmatchedChild.tier
        )
        matches_by_status = {
            MatchStatus(status).value: count
            for status, count in session.execute(
                select(Match.status, func.count())
                .where(Match.run_id == match_run.id)
                .group_by(Match.status)
            )
        }
    # WCAG 2.2.2: a page that updates itself offers a way to stop it.
    refreshing = match_run.status == RunStatus.RUNNING and request.args.get("refresh") != "off"
    response = make_response(
        render_template(
            "coordinator/runs_detail.html",
            run=match_run,
            started_by=started_by,
            summary=summary,
            matches_by_status=matches_by_status,
            now=utcnow(),
            refreshing=refreshing,
            refresh_seconds=REFRESH_S,
            **_run_helpers(),
        )
    )
    if refreshing:
        # The Refresh header does what <meta http-equiv="refresh"> does, without a <head> block.
        response.headers["Refresh"] = str(REFRESH_S)
    return response


def _run_helpers() -> dict[str, Any]:
    return {
        "tiers": TIERS,
        "stage_labels": STAGE_LABELS,
        "trigger_labels": TRIGGER_LABELS,
        "timing_labels": TIMING_LABELS,
        "duration": duration,
    }


def duration(start: datetime, end: datetime | None) -> str:
    """A span as people say it: "0.8 s", "2 min 5 s", "1 h 3 min"."""
    seconds = ((end or utcnow()) - start) / timedelta(seconds=1)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# --- unmatched children -----------------------------------------------------------------------


@bp.route("/children/unmatched")
def unmatched() -> str:
    """Open children with no attorney and nothing proposed or offered, most urgent first, with
    the latest successful run's reason and the attorneys who came closest."""
    session = get_session()
    today = date.today()
    latest = latest_succeeded_run(session)
    tier = tier_expression(today)
    listed = [
        Child.case_status == CaseStatus.OPEN,
        ~exists().where(Match.child_id == Child.id, Match.status.in_(ACTIVE_MATCH_STATUSES)),
    ]
    # Choices from every open case: nearly the same list, without the costly "no match" test.
    courts, languages = filter_choices(session, [Child.case_status == CaseStatus.OPEN])
    form = UnmatchedFilterForm()
    reasons = [(code, label) for code, label in REASON_LABELS.items()]
    reasons.append((NOT_YET_CONSIDERED, NOT_YET_CONSIDERED_LABEL))
    form.set_choices(
        courts=[(code, label) for code, (label, _) in courts.items()],
        languages=[(code, name) for code, (name, _) in languages.items()],
        reasons=reasons,
    )
    chosen = form.chosen()
    conditions = [*listed, *filter_conditions(chosen, courts, languages, tier)]
    reason = chosen.get("reason")
    if reason == NOT_YET_CONSIDERED:
        conditions.append(UnmatchedChild.id.is_(None))
    elif reason:
        conditions.append(UnmatchedChild.reason == reason)
    on_latest_run = and_(
        UnmatchedChild.child_id == Child.id,
        UnmatchedChild.run_id == (latest.id if latest else -1),
    )
    page = paginate(
        session,
        select(Child, Court.code, Court.city, Language.name, tier.label("tier"), UnmatchedChild)
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .outerjoin(UnmatchedChild, on_latest_run)
        .where(*conditions)
        .order_by(tier, Child.next_hearing_date.asc().nulls_last(), Child.id),
        scalars=False,
    )
    summary = None
    not_considered = 0
    if latest is not None:
        summary = summarise_unmatched(
            session, [UnmatchedChild.run_id == latest.id, *conditions], tier
        )
    not_considered = (
        session.scalar(
            select(func.count())
            .select_from(Child)
            .outerjoin(UnmatchedChild, on_latest_run)
            .where(*conditions, UnmatchedChild.id.is_(None))
        )
        or 0
    )
    closest = closest_attorneys(
        session,
        {
            row.Child.id: list(row.UnmatchedChild.closest_attorney_ids)
            for row in page.items
            if row.UnmatchedChild is not None
        },
        today,
    )
    return render_template(
        "coordinator/unmatched.html",
        page=page,
        form=form,
        filtered=bool(chosen),
        latest=latest,
        summary=summary,
        not_considered=not_considered,
        closest=closest,
        today=today,
        reason_label=reason_label,
        attorney_counts=attorney_counts,
        court_label=court_label,
        not_yet_considered_label=NOT_YET_CONSIDERED_LABEL,
        child_page="coordinator.child" in current_app.view_functions,
    )


def filter_choices(
    session: Any, listed: list[ColumnElement[bool]]
) -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    """Courts and languages of the children `listed` selects: code -> (label, id)."""
    courts = {
        code: (court_label(city, code), court_id)
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
        code: (name, language_id)
        for language_id, code, name in session.execute(
            select(Language.id, Language.code, Language.name)
            .where(Language.id.in_(spoken))
            .order_by(Language.name)
        )
    }
    return courts, languages


def filter_conditions(
    chosen: dict[str, Any],
    courts: dict[str, tuple[str, int]],
    languages: dict[str, tuple[str, int]],
    tier: ColumnElement[int],
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if "court" in chosen:
        conditions.append(Child.court_id == courts[chosen["court"]][1])
    if "language" in chosen:
        language_id = languages[chosen["language"]][1]
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
