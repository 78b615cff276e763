"""One matching run: load, solve, compare with the greedy baseline, save; all or nothing.

The run is recorded first (so history shows it while it solves); the proposals are written in one
transaction at the end, so a run that fails leaves the previous proposals and every decision as
they were. Logs carry counts and ids only, never a child's name or A-number.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from matcher.demand import GroupDemand, demand_by_group
from matcher.eligibility import Instance
from matcher.result import Baseline, MatchResult
from matcher.solve import solve
from models import audit
from models.base import utcnow
from models.db import Database
from models.demand import save_demand
from models.engine_adapter import (
    SaveSummary,
    discard_staged,
    load_problem,
    save_result,
    stage_rows,
    tier_counts,
)
from models.entities import MatchRun, RunStatus, User
from models.run_requests import claim_request, oldest_request
from models.settings import solver_time_limit_s

from .runlock import DEFAULT_STALE_AFTER_S, MatchingLock, RunInProgress

log = logging.getLogger("counselmatch.match")

# Rows of each kind (proposals, unmatched children) written per staging transaction: each holds
# its locks for a fraction of a second (200k unmatched children at 250,000: 40 transactions).
STAGE_ROWS_PER_TRANSACTION = 5_000


@dataclass(frozen=True)
class SolvedRun:
    """A run solved but not yet saved: the engine's result, the greedy baseline's, the
    capacity against demand of its unmatched children, and the seconds each stage took so far."""

    result: MatchResult
    baseline: Baseline
    timings_s: Mapping[str, float]
    demand: tuple[GroupDemand, ...] = ()


@dataclass(frozen=True)
class RunOutcome:
    run_id: int | None  # None for a dry run, which records nothing
    result: MatchResult
    baseline: Baseline
    saved: SaveSummary | None


def today_in(timezone: str) -> date:
    """Today in the organisation's zone (the schedule's): the date a scheduled or requested
    run judges tiers and leave on."""
    return datetime.now(ZoneInfo(timezone)).date()


def _log_stage(run_id: int | None, stage: str, **fields: object) -> None:
    details = " ".join(f"{key}={value}" for key, value in fields.items())
    log.info("match_run run_id=%s stage=%s %s", run_id, stage, details)


def start_run(
    database: Database, *, as_of: date, trigger: str, started_by: User | None = None
) -> int:
    """Record a run as running, in its own transaction, and return its id."""
    with database.session() as session, session.begin():
        now = utcnow()
        run = MatchRun(
            stage="loading",
            trigger=trigger,
            started_by_id=started_by.id if started_by else None,
            as_of=as_of,
            started_at=now,
            heartbeat_at=now,
            status=RunStatus.RUNNING,
        )
        session.add(run)
        session.flush()
        return run.id


def fail_run(database: Database, run_id: int, error: str) -> None:
    """Mark a run failed with its error; nothing else changes."""
    with database.session() as session, session.begin():
        run = session.get(MatchRun, run_id)
        if run is not None:
            run.status = RunStatus.FAILED
            run.stage = None
            run.finished_at = utcnow()
            run.error = error
            discard_staged(session, run_id)
            audit.record(session, "system", "match_run_failed", "match_run", run_id)


def solve_problem(
    database: Database, run_id: int | None, as_of: date, time_limit_s: float | None = None
) -> SolvedRun:
    """Load the problem as of `as_of` and solve it within `time_limit_s` (None: the
    solver_time_limit_s setting), with the greedy baseline's figures beside it."""
    started = time.perf_counter()
    with database.session() as session, session.begin():
        problem = load_problem(session, as_of)
        if time_limit_s is None:
            time_limit_s = solver_time_limit_s(session)
    load_s = time.perf_counter() - started
    _log_stage(
        run_id,
        "load",
        children=len(problem.children),
        attorneys=len(problem.attorneys),
        seconds=f"{load_s:.2f}",
    )
    set_stage(database, run_id, "solving")
    # One instance (eligibility classes and fit arrays) for the solve and the demand figures.
    instance_started = time.perf_counter()
    instance = Instance(problem)
    instance_s = time.perf_counter() - instance_started
    result = solve(problem, time_limit_s=time_limit_s, instance=instance)
    _log_stage(
        run_id,
        "solve",
        status=result.status.value,
        proposals=len(result.proposals),
        unmatched=len(result.unmatched),
        eligible_pairs=result.eligible_pairs,
        gap=result.gap,
        seconds=f"{result.timings_s.get('total', 0.0) + instance_s:.2f}",
    )
    # solve() runs the greedy baseline on its own instance (no second eligibility pass).
    baseline = result.baseline
    if baseline is None:
        raise RuntimeError("solve() returned no baseline (engine bug)")
    _log_stage(run_id, "baseline", proposals=baseline.proposals)
    demand_started = time.perf_counter()
    demand = demand_by_group(problem, result, instance)
    demand_s = time.perf_counter() - demand_started
    _log_stage(run_id, "demand", groups=len(demand), seconds=f"{demand_s:.2f}")
    timings = {
        "load": load_s,
        **dict(result.timings_s),
        # built here, before the solve (which then finds it ready)
        "eligibility": instance_s,
        "demand": demand_s,
    }
    timings["total"] = timings.get("total", 0.0) + instance_s
    return SolvedRun(result=result, baseline=baseline, timings_s=timings, demand=demand)


def set_stage(database: Database, run_id: int | None, stage: str | None) -> None:
    """Show how far a run has got (runs page), in its own short transaction."""
    if run_id is None:
        return
    with database.session() as session, session.begin():
        session.get_one(MatchRun, run_id).stage = stage


def save_run(
    database: Database,
    run_id: int,
    solved: SolvedRun,
    actor: User | str,
) -> SaveSummary:
    """Write a solved run's proposals and statistics in one transaction."""
    result, baseline, timings = solved.result, solved.baseline, dict(solved.timings_s)
    set_stage(database, run_id, "saving")
    save_started = time.perf_counter()
    # The long writes first, in short transactions nobody waits on (models.engine_adapter);
    # then one short transaction replaces the review queue.
    proposals, unmatched = result.proposals, result.unmatched
    for start in range(0, max(len(proposals), len(unmatched)), STAGE_ROWS_PER_TRANSACTION):
        end = start + STAGE_ROWS_PER_TRANSACTION
        with database.session() as session, session.begin():
            stage_rows(session, run_id, proposals[start:end], unmatched[start:end])
    timings["stage"] = time.perf_counter() - save_started
    swap_started = time.perf_counter()
    with database.session() as session, session.begin():
        run = session.get_one(MatchRun, run_id)
        saved = save_result(session, run, result)
        save_demand(session, run_id, solved.demand)
        timings["replace"] = time.perf_counter() - swap_started
        timings["save"] = time.perf_counter() - save_started
        run.status = RunStatus.SUCCEEDED
        run.stage = None
        run.finished_at = utcnow()
        run.inputs = {
            "children": sum(dict(result.children_per_tier or {}).values()),
            "children_per_tier": tier_counts(result.children_per_tier or {}),
            "eligible_pairs": result.eligible_pairs,
            "solver_status": result.status.value,
            "superseded": saved.superseded,
            "dropped_as_stale": saved.dropped,
        }
        run.matched_per_tier = tier_counts(result.matched_per_tier)
        run.baseline_per_tier = tier_counts(baseline.matched_per_tier)
        run.objective = result.objective
        run.bound = result.bound
        run.gap = result.gap
        run.timings = {key: round(value, 3) for key, value in timings.items()}
        audit.record(
            session,
            actor,
            "match_run_succeeded",
            "match_run",
            run_id,
            proposed=saved.proposed,
            unmatched=len(result.unmatched),
        )
    _log_stage(
        run_id,
        "save",
        proposed=saved.proposed,
        superseded=saved.superseded,
        dropped=saved.dropped,
        seconds=f"{timings['save']:.2f}",
        replace_seconds=f"{timings['replace']:.2f}",
    )
    return saved


def execute_run(
    database: Database,
    run_id: int,
    *,
    as_of: date,
    actor: User | str,
    time_limit_s: float | None = None,
) -> RunOutcome:
    """Solve and save a recorded run; on any error record it failed and re-raise."""
    try:
        solved = solve_problem(database, run_id, as_of, time_limit_s)
        saved = save_run(database, run_id, solved, actor)
        return RunOutcome(
            run_id=run_id, result=solved.result, baseline=solved.baseline, saved=saved
        )
    except BaseException as error:
        # The error names the failing stage and type; it never includes row data.
        fail_run(
            database,
            run_id,
            f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}",
        )
        _log_stage(run_id, "failed", error=type(error).__name__)
        raise


def run_match(
    database: Database,
    *,
    as_of: date,
    trigger: str,
    started_by: User | None = None,
    dry_run: bool = False,
    time_limit_s: float | None = None,
    lock_stale_s: float = DEFAULT_STALE_AFTER_S,
) -> RunOutcome:
    """Run the engine on the database as it is now, holding the run lock; a dry run saves
    nothing and needs no lock. Raises RunInProgress when another run holds the lock.

    time_limit_s: None for the solver_time_limit_s setting. lock_stale_s: see MatchingLock.
    """
    if dry_run:
        solved = solve_problem(database, None, as_of, time_limit_s)
        return RunOutcome(run_id=None, result=solved.result, baseline=solved.baseline, saved=None)
    lock = MatchingLock(database, stale_after_s=lock_stale_s)
    lock.acquire()
    try:
        run_id = start_run(database, as_of=as_of, trigger=trigger, started_by=started_by)
        lock.attach(run_id)
        return execute_run(
            database, run_id, as_of=as_of, actor=started_by or trigger, time_limit_s=time_limit_s
        )
    finally:
        lock.release()


def run_requested(
    database: Database,
    timezone: str,
    lock_stale_s: float = DEFAULT_STALE_AFTER_S,
    time_limit_s: float | None = None,
) -> RunOutcome | None:
    """The clock's pick-up of a requested run (Run now): solve and save the oldest queued run,
    holding the run lock, as of today in `timezone`; None when none is queued, when another run
    holds the lock (the request waits for the next pick-up) or when it was cancelled meanwhile.

    Errors are recorded on the run (execute_run) and re-raised. Arguments as for run_match.
    """
    with database.session() as session:
        request = oldest_request(session)
    if request is None:
        return None
    lock = MatchingLock(database, stale_after_s=lock_stale_s)
    try:
        lock.acquire()
    except RunInProgress as busy:
        log.info("run_id=%s stays queued: %s", request.run_id, busy)
        return None
    try:
        as_of = today_in(timezone)
        with database.session() as session, session.begin():
            claimed = claim_request(session, request.run_id, as_of)
        if not claimed:
            log.info("run_id=%s was no longer queued (cancelled); skipped", request.run_id)
            return None
        lock.attach(request.run_id)
        _log_stage(request.run_id, "picked_up", as_of=as_of.isoformat())
        return execute_run(
            database,
            request.run_id,
            as_of=as_of,
            actor=request.requested_by or "web",
            time_limit_s=time_limit_s,
        )
    finally:
        lock.release()
