"""GET /runs (history), POST /runs ("Run now"), GET /runs/<id> (one run, live while it runs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from jobs.matching import start_run_in_background
from jobs.runlock import RunInProgress
from matcher.rules import Tier
from models import audit
from models.base import utcnow
from models.entities import Match, MatchRun, MatchStatus, RunStatus, UnmatchedChild, User

from ..extensions import get_db, get_session
from ..pagination import paginate
from ..security import signed_in_user
from . import bp
from .explanations import summarise_unmatched
from .forms import RunNowForm

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
