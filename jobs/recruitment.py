"""Recruitment targets after a run: the engine re-solves with one more attorney of each
candidate profile drawn from the run's unmatched children, and the gains are saved for the
recruitment report. Read-only but for the snapshot; logs carry counts only."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from matcher.recruitment import Target, recruitment_targets
from models.db import Database
from models.engine_adapter import load_problem
from models.recruitment import latest_run, save_targets
from models.settings import solver_time_limit_s

log = logging.getLogger("counselmatch.recruitment")


@dataclass(frozen=True)
class TargetsOutcome:
    run_id: int
    targets: tuple[Target, ...]
    seconds: float


def compute_targets(database: Database, time_limit_s: float | None = None) -> TargetsOutcome | None:
    """Targets for the latest succeeded run, as of that run's day, saved as a snapshot; None
    when no run has succeeded yet. Each solve is limited to `time_limit_s` (None: the
    solver_time_limit_s setting)."""
    started = time.perf_counter()
    with database.session() as session, session.begin():
        run = latest_run(session)
        if run is None:
            log.info("recruitment targets skipped: no run has succeeded yet")
            return None
        problem = load_problem(session, run.as_of)
        limit = solver_time_limit_s(session) if time_limit_s is None else time_limit_s
    targets = recruitment_targets(problem, run.unmatched_child_ids, time_limit_s=limit)
    seconds = time.perf_counter() - started
    with database.session() as session, session.begin():
        save_targets(session, run, targets, seconds)
    log.info(
        "recruitment targets run_id=%s candidates=%d seconds=%.2f",
        run.id,
        len(targets),
        seconds,
    )
    return TargetsOutcome(run_id=run.id, targets=targets, seconds=seconds)
