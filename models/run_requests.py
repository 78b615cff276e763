"""Requested runs ("Run now"): a coordinator asks, the clock process runs it.

A web process never solves: POST /runs records a run as `queued`, and the clock's job
(`jobs.matching.run_requested`) claims the oldest one, takes the run lock and solves it. At most
one run is queued at a time, which a partial unique index holds to; requests are serialised by a
lock taken first, so of two coordinators asking at once the second is told which run is waiting.
A request can be cancelled until the clock claims it; claiming and cancelling are both
conditional on the run still being queued, so exactly one of them wins.

Pure database logic in the caller's transaction (`with session.begin():`). A refusal raises
`RunRequestRefused` before anything is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from . import audit
from .base import utcnow
from .entities import MatchRun, RunStatus, User

# pg_advisory_xact_lock's keys: this application's constant for requests (not the run lock's),
# and the schema, as jobs.runlock does.
REQUEST_LOCK_KEY = 0x52657175  # "Requ"


class RunRequestRefused(Exception):
    """Run now refused: `run_id` names the run waiting or in progress, the message says why."""

    def __init__(self, run_id: int, message: str) -> None:
        self.run_id = run_id
        super().__init__(message)


@dataclass(frozen=True)
class RunRequest:
    """A queued run as the clock reads it: its id and who asked (None: no account)."""

    run_id: int
    requested_by: User | None


def _lock_requests(session: Session) -> None:
    """Serialise requests until the transaction ends. SQLite: a first statement that writes
    (and changes nothing) takes the database's write lock, so a second request waits and then
    reads what the first committed; PostgreSQL: a transaction-level advisory lock."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(MatchRun)
            .where(MatchRun.status == RunStatus.QUEUED)
            .values(status=MatchRun.status)
            .execution_options(synchronize_session=False)
        )
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
        {"key": REQUEST_LOCK_KEY},
    )


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M} UTC"


def request_run(session: Session, user: User, *, as_of: date, stale_after_s: float) -> MatchRun:
    """Queue a run for the clock, started by `user`, and audit it.

    Refused (RunRequestRefused) while a run is queued, or while one is running: recorded as
    running with a heartbeat newer than `stale_after_s` seconds (an older one was cut short, and
    the clock's lock marks it failed when it takes the request). `as_of` is provisional: the
    clock sets the run's date when it starts it.
    """
    _lock_requests(session)
    waiting = session.scalar(
        select(MatchRun).where(MatchRun.status == RunStatus.QUEUED).order_by(MatchRun.id)
    )
    if waiting is not None:
        asked = waiting.requested_at or waiting.started_at
        raise RunRequestRefused(
            waiting.id,
            f"Run {waiting.id} is already waiting for the clock process (requested "
            f"{_hhmm(asked)}); it was not requested again.",
        )
    now = utcnow()
    running = session.scalar(
        select(MatchRun)
        .where(
            MatchRun.status == RunStatus.RUNNING,
            MatchRun.heartbeat_at >= now - timedelta(seconds=stale_after_s),
        )
        .order_by(MatchRun.id.desc())
    )
    if running is not None:
        raise RunRequestRefused(
            running.id,
            f"Run {running.id} has been in progress since {_hhmm(running.started_at)}; "
            "it was not started again.",
        )
    run = MatchRun(
        trigger="web",
        started_by_id=user.id,
        as_of=as_of,
        requested_at=now,
        started_at=now,
        status=RunStatus.QUEUED,
    )
    session.add(run)
    session.flush()
    audit.record(session, user, "match_run_requested", "match_run", run.id)
    return run


def cancel_request(session: Session, run_id: int, user: User) -> None:
    """Withdraw a queued run before the clock starts it, and audit it.

    LookupError for no such run; RunRequestRefused once it is no longer queued.
    """
    cancelled = _leave_queue(
        session,
        run_id,
        status=RunStatus.CANCELLED,
        finished_at=utcnow(),
        error=f"Cancelled by {user.email} before it started.",
    )
    if not cancelled:
        run = session.get(MatchRun, run_id, populate_existing=True)
        if run is None:
            raise LookupError(f"There is no run {run_id}.")
        raise RunRequestRefused(run_id, _not_queued(run))
    audit.record(session, user, "match_run_cancelled", "match_run", run_id)


def _not_queued(run: MatchRun) -> str:
    if run.status == RunStatus.RUNNING:
        return (
            f"Run {run.id} has already started (at {_hhmm(run.started_at)}), so it can no "
            "longer be cancelled; it runs to its end."
        )
    if run.status == RunStatus.CANCELLED:
        return f"Run {run.id} was already cancelled."
    return f"Run {run.id} has already run ({run.status.value}); there is nothing to cancel."


def oldest_request(session: Session) -> RunRequest | None:
    """The run waiting for the clock, if any (one query on the queued-runs index)."""
    found = session.execute(
        select(MatchRun.id, MatchRun.started_by_id)
        .where(MatchRun.status == RunStatus.QUEUED)
        .order_by(MatchRun.id)
        .limit(1)
    ).one_or_none()
    if found is None:
        return None
    run_id, user_id = found
    return RunRequest(run_id, session.get(User, user_id) if user_id is not None else None)


def claim_request(session: Session, run_id: int, as_of: date) -> bool:
    """Start a queued run: running from now, as of `as_of`. False when it is no longer queued
    (cancelled meanwhile): nothing changes then."""
    now = utcnow()
    return _leave_queue(
        session,
        run_id,
        status=RunStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        stage="loading",
        as_of=as_of,
    )


def _leave_queue(session: Session, run_id: int, **values: object) -> bool:
    """Move a run out of the queue with `values`, only if it is still queued (the status test
    is on the updated row, so a claim and a cancellation at once cannot both win)."""
    moved = session.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id, MatchRun.status == RunStatus.QUEUED)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]
