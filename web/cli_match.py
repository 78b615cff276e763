"""`counselmatch match` (one matching run now) and `counselmatch scheduler` (the clock)."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from jobs.clock import build_scheduler, describe_schedule, load_schedule, run_clock
from jobs.matching import RunOutcome, run_match
from jobs.offers import run_offer_clock
from jobs.recruitment import compute_targets
from jobs.runlock import RunInProgress
from matcher.rules import Tier
from models.settings import SOLVER_TIME_LIMIT_KEY
from reports.recruitment import named

from .extensions import get_db


def _per_tier(counts: dict[Tier, int] | None) -> str:
    counts = counts or {}
    return "  ".join(f"T{int(tier)} {counts.get(tier, 0):>5}" for tier in Tier)


def describe(outcome: RunOutcome) -> list[str]:
    """The run's summary as the command prints it."""
    result, baseline = outcome.result, outcome.baseline
    gap = "n/a" if result.gap is None else f"{result.gap:.2%}"
    lines = [
        f"status {result.status.value}, gap {gap}, {result.eligible_pairs:,} eligible pairs",
        f"children   {_per_tier(dict(result.children_per_tier or {}))}",
        f"matched    {_per_tier(dict(result.matched_per_tier))}   fit {result.total_fit:,.1f}",
        f"greedy     {_per_tier(dict(baseline.matched_per_tier))}   fit {baseline.total_fit:,.1f}",
    ]
    if outcome.saved is not None:
        saved = outcome.saved
        lines.append(
            f"{saved.proposed} proposals saved for review ({saved.superseded} earlier proposals "
            f"replaced, {saved.dropped} dropped because a decision changed them while solving)."
        )
    return lines


@click.command("match")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge tiers and leave on this date (YYYY-MM-DD); default today.",
)
@click.option("--dry-run", is_flag=True, help="Solve and report; save nothing.")
@click.option(
    "--time-limit",
    "time_limit_s",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds the solver may take before returning its best assignment "
    f"[default: the {SOLVER_TIME_LIMIT_KEY} setting].",
)
@with_appcontext
def match_command(as_of: datetime | None, dry_run: bool, time_limit_s: float | None) -> None:
    """Propose pairings of children without counsel with attorneys who have room."""
    run_date = as_of.date() if as_of else date.today()
    try:
        outcome = run_match(
            get_db(),
            as_of=run_date,
            trigger="command",
            dry_run=dry_run,
            time_limit_s=time_limit_s,
            lock_stale_s=current_app.config["LOCK_STALE_S"],
        )
    except RunInProgress as busy:
        click.echo(str(busy), err=True)
        raise click.exceptions.Exit(1) from None
    title = "Dry run" if outcome.run_id is None else f"Run {outcome.run_id}"
    click.echo(f"{title} as of {run_date.isoformat()}:")
    for line in describe(outcome):
        click.echo("  " + line)


@click.command("scheduler")
@click.option(
    "--print-schedule", is_flag=True, help="Print the next run times of each job and exit."
)
@with_appcontext
def scheduler_command(print_schedule: bool) -> None:
    """The clock process: runs the nightly match, the daily report snapshot, the coordinators'
    digest, the offer clock, the e-mail outbox and the runs requested with Run now.

    Run exactly one (the `clock:` line of the Procfile); stop it with SIGTERM or Ctrl-C.
    """
    database = get_db()
    lock_stale_s = current_app.config["LOCK_STALE_S"]
    if print_schedule:
        scheduler = build_scheduler(
            database,
            load_schedule(database),
            lock_stale_s=lock_stale_s,
            mail=current_app.config["MAIL"],
        )
        for line in describe_schedule(scheduler):
            click.echo(line)
        return
    run_clock(database, lock_stale_s=lock_stale_s, mail=current_app.config["MAIL"])


@click.command("remind-offers")
@with_appcontext
def remind_offers_command() -> None:
    """Remind attorneys of offers awaiting an answer, and expire those past their time, now.

    The clock does this hourly; this runs it once (reminder and expiry days: admin settings).
    """
    summary = run_offer_clock(get_db())
    click.echo(f"{summary.reminded} offers reminded, {summary.expired} offers expired.")


@click.command("recruitment-targets")
@click.option(
    "--time-limit",
    "time_limit_s",
    type=click.FloatRange(min=1),
    default=None,
    help=f"Seconds each solve may take [default: the {SOLVER_TIME_LIMIT_KEY} setting].",
)
@with_appcontext
def recruitment_targets_command(time_limit_s: float | None) -> None:
    """Which attorneys to recruit: the engine re-solves the latest run with one more attorney
    of each profile its unmatched children need, and saves the gains for /reports/recruitment.

    The clock does this after each nightly run; exits 1 when no run has succeeded yet.
    """
    outcome = compute_targets(get_db(), time_limit_s)
    if outcome is None:
        click.echo("No matching run has succeeded yet: run `counselmatch match` first.", err=True)
        raise click.exceptions.Exit(1)
    click.echo(
        f"Recruitment targets for run {outcome.run_id}: {len(outcome.targets)} profiles tried "
        f"in {outcome.seconds:.1f} s."
    )
    with get_db().session() as session:
        names = named(session)
    for target in outcome.targets[:5]:
        click.echo(
            f"  {names.profile(target.candidate.profile)}: gain {_per_tier(target.what_if.gain)}"
        )
