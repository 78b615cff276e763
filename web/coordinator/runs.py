"""GET /runs (history), POST /runs ("Run now": a request the clock process runs), GET /runs/<id>
(one run, live while it waits or runs), POST /runs/<id>/cancel (withdraw a request)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from jobs.matching import today_in
from matcher.rules import Tier
from models import audit
from models.base import utcnow
from models.entities import Match, MatchRun, MatchStatus, RunStatus, UnmatchedChild, User
from models.run_requests import RunRequestRefused, cancel_request, request_run
from models.settings import schedule_setting

from ..extensions import get_session
from ..pagination import paginate
from ..security import signed_in_user
from . import bp
from .explanations import summarise_unmatched
from .forms import CancelRequestForm, RunNowForm

STAGE_LABELS = {
    "loading": "Loading children and attorneys",
    "solving": "Solving",
    "saving": "Saving the proposals",
}
TIMING_LABELS = {
    "load": "load",
    "baseline": "greedy baseline",
    "stage": "writing the proposals",
    "replace": "replacing the review queue",
    "save": "save",
}
TRIGGER_LABELS = {"schedule": "Nightly schedule", "command": "Command line", "web": "Run now"}
TIERS = tuple(f"T{tier.value}" for tier in Tier)
# Seconds between reloads of a waiting or running run's page.
REFRESH_S = 3
# A request waiting longer than this (the clock starts one within seconds) gets a warning that
# the clock process may not be running.
CLOCK_LATE_AFTER = timedelta(minutes=1)


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
    queued = session.scalar(select(MatchRun).where(MatchRun.status == RunStatus.QUEUED))
    return render_template(
        "coordinator/runs.html",
        page=page,
        running=running,
        queued=queued,
        form=RunNowForm(),
        now=utcnow(),
    )


@bp.route("/runs", methods=["POST"])
def run_now() -> Response:
    """Queue a run for the clock process and show its page; refuse while a run is queued or in
    progress (the nightly job's, another coordinator's or the command line's)."""
    form = RunNowForm()
    if not form.validate_on_submit():
        # CSRFProtect has already refused a missing or wrong token; nothing else can fail.
        flash("The run was not started: please try again.", "error")
        return redirect(url_for(".runs"))
    user = signed_in_user()
    session = get_session()
    try:
        with session.begin():
            as_of = today_in(schedule_setting(session).timezone)
            run_id = request_run(
                session, user, as_of=as_of, stale_after_s=current_app.config["LOCK_STALE_S"]
            ).id
    except RunRequestRefused as refused:
        with session.begin():
            audit.record(session, user, "match_run_refused", "match_run", refused.run_id)
        flash(str(refused), "error")
        return redirect(url_for(".run", run_id=refused.run_id))
    flash(
        f"Run {run_id} requested: the clock process starts it within seconds. "
        "This page shows its progress.",
        "info",
    )
    return redirect(url_for(".run", run_id=run_id))


@bp.route("/runs/<id:run_id>/cancel", methods=["POST"])
def cancel_run(run_id: int) -> Response:
    """Withdraw a requested run before the clock starts it."""
    form = CancelRequestForm()
    if not form.validate_on_submit():
        flash("The request was not cancelled: please try again.", "error")
        return redirect(url_for(".run", run_id=run_id))
    user = signed_in_user()
    session = get_session()
    try:
        with session.begin():
            cancel_request(session, run_id, user)
    except LookupError as missing:
        raise NotFound(str(missing)) from None
    except RunRequestRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for(".run", run_id=run_id))
    flash(f"Run {run_id} was cancelled before it started; nothing changed.", "info")
    return redirect(url_for(".run", run_id=run_id))


@bp.route("/runs/<id:run_id>")
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
    live = match_run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
    refreshing = live and request.args.get("refresh") != "off"
    now = utcnow()
    requested_at = match_run.requested_at or match_run.started_at
    response = make_response(
        render_template(
            "coordinator/runs_detail.html",
            run=match_run,
            started_by=started_by,
            summary=summary,
            matches_by_status=matches_by_status,
            now=now,
            refreshing=refreshing,
            refresh_seconds=REFRESH_S,
            clock_late=match_run.status == RunStatus.QUEUED
            and now - requested_at > CLOCK_LATE_AFTER,
            cancel_form=CancelRequestForm() if match_run.status == RunStatus.QUEUED else None,
        )
    )
    if refreshing:
        # The Refresh header does what <meta http-equiv="refresh"> does, without a <head> block.
        response.headers["Refresh"] = str(REFRESH_S)
    return response


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
