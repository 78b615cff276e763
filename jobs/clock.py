"""The clock process: APScheduler runs the nightly match, the daily report snapshot, the
coordinators' daily digest, the hourly offer clock (reminders and expiry), the daily retention
erasure, every minute the e-mail outbox and, every few seconds, the runs requested on the web
("Run now": web processes never solve).

Exactly one clock process runs (the `clock:` line of the Procfile), never inside web workers,
which would run each job once per worker; the run lock makes a second clock harmless anyway.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from models.base import utcnow
from models.db import Database
from models.entities import MatchRun
from models.settings import (
    DIGEST_TIME,
    NIGHTLY_MATCH_TIME,
    OFFER_CLOCK_MINUTE,
    REPORT_SNAPSHOT_TIME,
    RETENTION_TIME,
    SCHEDULE_KEY,
    SCHEDULE_TIMEZONE,
    schedule_setting,
)
from models.snapshots import take_daily_snapshot

from .digest import coordinator_digest
from .mailer import MailSettings, send_mail_job
from .matching import run_match, run_requested, today_in
from .offers import run_offer_clock
from .recruitment import compute_targets
from .retention import retention_job
from .runlock import DEFAULT_STALE_AFTER_S, RunInProgress

log = logging.getLogger("counselmatch.clock")

__all__ = ["SCHEDULE_KEY", "Schedule", "build_scheduler", "load_schedule", "run_clock"]

NIGHTLY_MATCH_JOB = "nightly-match"
SNAPSHOT_JOB = "daily-report-snapshot"
CATCH_UP_JOB = "nightly-match-catch-up"
SEND_MAIL_JOB = "send-mail"
SEND_MAIL_EVERY = timedelta(minutes=1)
OFFER_CLOCK_JOB = "hourly-offer-clock"
DIGEST_JOB = "coordinators-daily-digest"
RETENTION_JOB = "daily-retention-erasure"
# The clock re-reads the schedule setting this often, so a change on /admin/settings moves the
# jobs without a restart.
# A run requested on the web starts within this long (when no other run holds the lock).
RUN_REQUESTS_JOB = "requested-runs"
RUN_REQUESTS_EVERY = timedelta(seconds=5)
FOLLOW_SCHEDULE_JOB = "follow-schedule-setting"
FOLLOW_SCHEDULE_EVERY = timedelta(minutes=1)
# A nightly run missed by up to this long (the clock was down or restarting) still runs.
MISFIRE_GRACE = timedelta(hours=6)


@dataclass(frozen=True)
class Schedule:
    """When the jobs run: cron fields (APScheduler's CronTrigger) in the organisation's zone."""

    timezone: str = SCHEDULE_TIMEZONE.default
    nightly_match: dict[str, str] = field(default_factory=lambda: dict(NIGHTLY_MATCH_TIME.default))
    report_snapshot: dict[str, str] = field(
        default_factory=lambda: dict(REPORT_SNAPSHOT_TIME.default)
    )
    offer_clock: dict[str, str] = field(default_factory=lambda: dict(OFFER_CLOCK_MINUTE.default))
    coordinator_digest: dict[str, str] = field(default_factory=lambda: dict(DIGEST_TIME.default))
    retention: dict[str, str] = field(default_factory=lambda: dict(RETENTION_TIME.default))

    def trigger(self, fields: dict[str, str]) -> CronTrigger:
        return CronTrigger(timezone=ZoneInfo(self.timezone), **fields)

    def cron_jobs(self) -> dict[str, dict[str, str]]:
        """The cron fields of each scheduled job, by job id."""
        return {
            NIGHTLY_MATCH_JOB: self.nightly_match,
            SNAPSHOT_JOB: self.report_snapshot,
            OFFER_CLOCK_JOB: self.offer_clock,
            DIGEST_JOB: self.coordinator_digest,
            RETENTION_JOB: self.retention,
        }


def load_schedule(database: Database) -> Schedule:
    """The schedule setting as it is now (`schedule`: timezone, nightly_match, report_snapshot,
    offer_clock, coordinator_digest, retention; models.settings.schedule_setting), or defaults."""
    with database.session() as session:
        stored = schedule_setting(session)
    return Schedule(
        timezone=stored.timezone,
        nightly_match=stored.nightly_match,
        report_snapshot=stored.report_snapshot,
        offer_clock=stored.offer_clock,
        coordinator_digest=stored.coordinator_digest,
        retention=stored.retention,
    )


def nightly_match(
    database: Database, timezone: str, lock_stale_s: float = DEFAULT_STALE_AFTER_S
) -> None:
    """The nightly job: one run as of today in the organisation's zone, then the recruitment
    targets of that run."""
    as_of = today_in(timezone)
    try:
        outcome = run_match(database, as_of=as_of, trigger="schedule", lock_stale_s=lock_stale_s)
    except RunInProgress as busy:
        log.warning("nightly match skipped: %s", busy)
        return
    except Exception:
        log.exception("nightly match failed (recorded on the run)")
        return
    log.info("nightly match done run_id=%s", outcome.run_id)
    try:
        compute_targets(database)
    except Exception:
        log.exception("recruitment targets failed; the run's proposals stand")


def requested_runs(
    database: Database, timezone: str, lock_stale_s: float = DEFAULT_STALE_AFTER_S
) -> None:
    """The job every RUN_REQUESTS_EVERY: start the run a coordinator requested, if any; a run
    that fails is recorded failed on its page, and the clock goes on."""
    try:
        outcome = run_requested(database, timezone, lock_stale_s=lock_stale_s)
    except Exception:
        log.exception("requested run failed (recorded on the run)")
        return
    if outcome is not None:
        log.info("requested run done run_id=%s", outcome.run_id)


def report_snapshot(database: Database, timezone: str) -> None:
    as_of = today_in(timezone)
    with database.session() as session, session.begin():
        snapshot = take_daily_snapshot(session, as_of)
        rows = len(snapshot.data["rows"])
    log.info("report snapshot taken as_of=%s rows=%d", as_of, rows)


def offer_clock(database: Database, timezone: str) -> None:
    """The hourly job: remind and expire offers awaiting an answer (`timezone` fixes only when
    it fires; the offer clock itself counts in UTC)."""
    try:
        run_offer_clock(database)
    except Exception:
        log.exception("offer clock failed; it runs again within the hour")


def missed_fire_time(
    trigger: CronTrigger, now: datetime, last_run_started: datetime | None
) -> datetime | None:
    """The latest scheduled time within the grace window that no run has started since."""
    missed = None
    fire = trigger.get_next_fire_time(None, now - MISFIRE_GRACE)
    while fire is not None and fire <= now:
        missed = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if missed is None or (last_run_started is not None and last_run_started >= missed):
        return None
    return missed


def _every(interval: timedelta) -> dict[str, Any]:
    """The options of a job repeated every `interval`: one instance at a time, missed repeats
    coalesced, one missed by more than its interval skipped."""
    seconds = int(interval.total_seconds())
    return {
        "trigger": IntervalTrigger(seconds=seconds),
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": seconds,
    }


def build_scheduler(
    database: Database,
    schedule: Schedule,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    now: datetime | None = None,
    *,
    lock_stale_s: float = DEFAULT_STALE_AFTER_S,
    mail: MailSettings | None = None,
) -> BaseScheduler:
    """The scheduler with its jobs: stable ids, one instance at a time, missed runs coalesced;
    lock_stale_s: see MatchingLock; mail: where the outbox is sent (None: it stays queued)."""
    scheduler = scheduler_class(timezone=ZoneInfo(schedule.timezone))
    common: dict[str, Any] = {
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        "args": [database, schedule.timezone],
    }
    match_trigger = schedule.trigger(schedule.nightly_match)
    match_options = {**common, "kwargs": {"lock_stale_s": lock_stale_s}}
    scheduler.add_job(
        nightly_match, match_trigger, id=NIGHTLY_MATCH_JOB, name="Nightly match", **match_options
    )
    scheduler.add_job(
        report_snapshot,
        schedule.trigger(schedule.report_snapshot),
        id=SNAPSHOT_JOB,
        name="Daily report snapshot",
        **common,
    )
    scheduler.add_job(
        offer_clock,
        schedule.trigger(schedule.offer_clock),
        id=OFFER_CLOCK_JOB,
        name="Offer reminders and expiry",
        **common,
    )
    scheduler.add_job(
        send_mail_job,
        id=SEND_MAIL_JOB,
        name="Send queued e-mail",
        args=[database, mail],
        **_every(SEND_MAIL_EVERY),
    )
    scheduler.add_job(
        coordinator_digest,
        schedule.trigger(schedule.coordinator_digest),
        id=DIGEST_JOB,
        name="Coordinators' daily digest",
        **common,
    )
    scheduler.add_job(
        retention_job,
        schedule.trigger(schedule.retention),
        id=RETENTION_JOB,
        name="Retention: erase closed cases' personal data",
        **common,
    )
    scheduler.add_job(
        requested_runs,
        id=RUN_REQUESTS_JOB,
        name="Start runs requested on the web",
        args=[database, schedule.timezone],
        kwargs={"lock_stale_s": lock_stale_s},
        **_every(RUN_REQUESTS_EVERY),
    )
    scheduler.add_job(
        ScheduleFollower(database, scheduler, schedule),
        IntervalTrigger(seconds=int(FOLLOW_SCHEDULE_EVERY.total_seconds())),
        id=FOLLOW_SCHEDULE_JOB,
        name="Follow the schedule setting",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    with database.session() as session:
        last_started = session.scalar(
            select(MatchRun.started_at).order_by(MatchRun.started_at.desc()).limit(1)
        )
    missed = missed_fire_time(match_trigger, now or utcnow(), last_started)
    if missed is not None:
        # The clock was down at the scheduled time: run now rather than skip a night.
        log.warning("nightly match of %s was missed; running it now", missed.isoformat())
        scheduler.add_job(
            nightly_match, id=CATCH_UP_JOB, name="Missed nightly match", **match_options
        )
    return scheduler


def apply_schedule(scheduler: BaseScheduler, schedule: Schedule) -> None:
    """Move the scheduled jobs to `schedule` (their times and the zone of their "today"),
    keeping their ids; every trigger is built first, so a bad one changes nothing."""
    triggers = {job_id: schedule.trigger(fields) for job_id, fields in schedule.cron_jobs().items()}
    for job_id, trigger in triggers.items():
        job = scheduler.get_job(job_id)
        if job is None:
            continue
        scheduler.modify_job(job_id, args=[job.args[0], schedule.timezone])
        scheduler.reschedule_job(job_id, trigger=trigger)
    requests = scheduler.get_job(RUN_REQUESTS_JOB)
    if requests is not None:  # its interval stays; its runs' "today" follows the zone
        scheduler.modify_job(RUN_REQUESTS_JOB, args=[requests.args[0], schedule.timezone])


@dataclass
class ScheduleFollower:
    """The job that re-reads the schedule setting and moves the jobs when it changed."""

    database: Database
    scheduler: BaseScheduler
    schedule: Schedule

    def __call__(self) -> None:
        try:
            latest = load_schedule(self.database)
            if latest == self.schedule:
                return
            apply_schedule(self.scheduler, latest)
        except Exception:
            log.exception("the schedule setting could not be applied; the jobs keep their times")
            return
        self.schedule = latest
        log.info("schedule setting changed: the jobs follow it (timezone=%s)", latest.timezone)


def describe_schedule(scheduler: BaseScheduler, count: int = 3) -> list[str]:
    """The next `count` fire times of each job, for `counselmatch scheduler --print-schedule`."""
    lines = []
    now = utcnow()
    for job in scheduler.get_jobs():
        times = []
        fire = job.trigger.get_next_fire_time(None, now)
        while fire is not None and len(times) < count:
            times.append(fire)
            fire = job.trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        shown = ", ".join(
            f"{t:%Y-%m-%d %H:%M:%S %Z} ({t.astimezone(ZoneInfo('UTC')):%H:%M} UTC)" for t in times
        )
        lines.append(f"{job.id}: {shown or 'now'}")
    return lines


def run_clock(
    database: Database,
    *,
    lock_stale_s: float = DEFAULT_STALE_AFTER_S,
    mail: MailSettings | None = None,
) -> None:
    """Run the schedule until SIGTERM or SIGINT; a run cut short is recorded as failed later."""
    schedule = load_schedule(database)
    scheduler = build_scheduler(database, schedule, lock_stale_s=lock_stale_s, mail=mail)
    if mail is None:
        log.warning("SMTP_URL is not set: e-mail stays queued in the outbox (see /admin/outbox)")

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("clock stopping on %s", signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for line in describe_schedule(scheduler, count=1):
        log.info("clock scheduled %s", line)
    scheduler.start()
    log.info("clock stopped")
