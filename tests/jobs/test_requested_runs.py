"""The clock's pick-up of runs requested on the web: the real job, lock, solver and database."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import event, select

from fixtures import factories as f
from jobs.clock import (
    FOLLOW_SCHEDULE_JOB,
    RUN_REQUESTS_EVERY,
    RUN_REQUESTS_JOB,
    Schedule,
    build_scheduler,
    load_schedule,
    requested_runs,
)
from jobs.matching import run_requested, start_run, today_in
from jobs.runlock import MatchingLock
from models import AuditEvent, Match, MatchRun, RunStatus
from models.entities import Role
from models.run_requests import cancel_request, request_run
from models.setting_changes import change_settings
from models.settings import MATCH_WEIGHTS_KEY, put_setting

ZONE = "America/New_York"


def _request(db, factories) -> int:
    """A coordinator's request, as POST /runs makes it; its run id."""
    user = f.UserFactory(role=Role.COORDINATOR)
    factories.commit()
    with db.session() as session, session.begin():
        return request_run(session, user, as_of=date.today(), stale_after_s=60).id


def _run(db, run_id: int) -> MatchRun:
    with db.session() as session:
        return session.get_one(MatchRun, run_id)


def _some_work(factories) -> None:
    f.ChildFactory(next_hearing_date=date.today() + timedelta(days=5))
    f.AttorneyFactory(capacity=1)
    factories.commit()


def test_with_nothing_queued_the_job_returns_after_one_query(db):
    statements: list[str] = []

    def seen(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert run_requested(db, ZONE) is None
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and "FROM match_runs" in statements[0]


def test_a_request_waits_while_another_run_holds_the_lock_then_runs(db, factories, caplog):
    _some_work(factories)
    run_id = _request(db, factories)
    holder = MatchingLock(db)
    holder.acquire()
    other = start_run(db, as_of=date.today(), trigger="command")
    holder.attach(other)
    try:
        with caplog.at_level(logging.INFO, logger="counselmatch.match"):
            assert run_requested(db, ZONE) is None
        assert _run(db, run_id).status == RunStatus.QUEUED
        assert f"run_id={run_id} stays queued: Run {other} has been in progress" in caplog.text
        assert "Traceback" not in caplog.text
    finally:
        holder.release()

    outcome = run_requested(db, ZONE)

    assert outcome is not None and outcome.run_id == run_id
    run = _run(db, run_id)
    assert (run.status, run.as_of) == (RunStatus.SUCCEEDED, today_in(ZONE))
    assert run.started_at > run.requested_at  # the pick-up, not the request
    with db.session() as session:
        assert session.scalars(select(Match).where(Match.run_id == run_id)).all()


def test_taking_the_lock_never_touches_a_queued_run(db, factories):
    run_id = _request(db, factories)
    cut_short = f.MatchRunFactory(status=RunStatus.RUNNING, finished_at=None)
    factories.commit()
    lock = MatchingLock(db)
    lock.acquire()  # marks runs left running as failed
    lock.release()
    assert _run(db, cut_short.id).status == RunStatus.FAILED
    assert _run(db, run_id).status == RunStatus.QUEUED


def test_a_request_cancelled_before_the_pick_up_is_skipped(db, factories):
    _some_work(factories)
    run_id = _request(db, factories)
    canceller = f.UserFactory(role=Role.COORDINATOR)
    factories.commit()
    with db.session() as session, session.begin():
        cancel_request(session, run_id, canceller)

    assert run_requested(db, ZONE) is None

    run = _run(db, run_id)
    assert run.status == RunStatus.CANCELLED and run.stage is None
    assert run.error == f"Cancelled by {canceller.email} before it started."
    with db.session() as session:
        assert session.scalars(select(Match)).all() == []
    # The lock was released: the next run can take it.
    lock = MatchingLock(db)
    lock.acquire()
    lock.release()


def test_a_failing_requested_run_is_recorded_failed_and_the_job_returns(db, factories, caplog):
    _some_work(factories)
    run_id = _request(db, factories)
    put_setting(factories, MATCH_WEIGHTS_KEY, {"tender_age": -5})  # refused by the engine
    factories.commit()

    with caplog.at_level(logging.INFO, logger="counselmatch.clock"):
        requested_runs(db, ZONE)  # logs, does not raise

    run = _run(db, run_id)
    assert run.status == RunStatus.FAILED and "tender_age" in run.error
    assert "requested run failed (recorded on the run)" in caplog.text
    with db.session() as session:
        failed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "match_run_failed")
        ).one()
    assert failed.entity_id == str(run_id)
    lock = MatchingLock(db)  # released despite the failure
    lock.acquire()
    lock.release()


def test_the_scheduler_starts_requested_runs_every_few_seconds(db):
    scheduler = build_scheduler(db, load_schedule(db), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(RUN_REQUESTS_JOB)
        assert job.func is requested_runs
        assert job.trigger.interval == RUN_REQUESTS_EVERY <= timedelta(seconds=10)
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.args[1] == Schedule().timezone
        with db.session() as session, session.begin():
            change_settings(session, "admin@example.org", {"schedule.timezone": "America/Denver"})

        scheduler.get_job(FOLLOW_SCHEDULE_JOB).func()

        job = scheduler.get_job(RUN_REQUESTS_JOB)
        assert job.args[1] == "America/Denver"  # the zone of a requested run's "today"
        assert job.trigger.interval == RUN_REQUESTS_EVERY
    finally:
        scheduler.shutdown(wait=False)
