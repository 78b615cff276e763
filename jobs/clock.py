"""The clock process: APScheduler runs the nightly match, the daily report snapshot, the
coordinators' daily digest, the hourly offer clock (reminders and expiry), the daily retention
erasure and, every minute, the e-mail outbox.

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
from models.settings import get_setting
from models.snapshots import take_daily_snapshot

from .digest import coordinator_digest
from .mailer import MailSettings, send_mail_job
from .matching import run_match
from .offers import run_offer_clock
from .recruitment import compute_targets
from .retention import retention_job
from .runlock import DEFAULT_STALE_AFTER_S, RunInProgress

log = logging.getLogger("counselmatch.clock")

SCHEDULE_KEY = "schedule"
NIGHTLY_MATCH_JOB = "nightly-match"
SNAPSHOT_JOB = "daily-report-snapshot"
CATCH_UP_JOB = "nightly-match-catch-up"
SEND_MAIL_JOB = "send-mail"
SEND_MAIL_EVERY = timedelta(minutes=1)
OFFER_CLOCK_JOB = "hourly-offer-clock"
DIGEST_JOB = "coordinators-daily-digest"
RETENTION_JOB = "daily-retention-erasure"
# A nightly run missed by up to this long (the clock was down or restarting) still runs.
MISFIRE_GRACE = timedelta(hours=6)


@dataclass(frozen=True)
class Schedule:
    """When the jobs run: cron fields (APScheduler's CronTrigger) in the organisation's zone."""

    timezone: str = "America/New_York"
    nightly_match: dict[str, str] = field(
        default_factory=lambda: {"hour": "3", "minute": "30", "second": "0"}
    )
    report_snapshot: dict[str, str] = field(
        default_factory=lambda: {"hour": "4", "minute": "30", "second": "0"}
    )
    offer_clock: dict[str, str] = field(default_factory=lambda: {"minute": "15", "second": "0"})
    coordinator_digest: dict[str, str] = field(
        default_factory=lambda: {"hour": "7", "minute": "0", "second": "0"}
    )
    retention: dict[str, str] = field(
        default_factory=lambda: {"hour": "5", "minute": "0", "second": "0"}
    )

    def trigger(self, fields: dict[str, str]) -> CronTrigger:
        return CronTrigger(timezone=ZoneInfo(self.timezone), **fields)


def load_schedule(database: Database) -> Schedule:
    """The schedule setting (`schedule`: timezone, nightly_match, report_snapshot, offer_clock,
    coordinator_digest, retention), or defaults."""
    with database.session() as session:
        stored: dict[str, Any] = get_setting(session, SCHEDULE_KEY, {})
    default = Schedule()
    return Schedule(
        timezone=stored.get("timezone", default.timezone),
        nightly_match=stored.get("nightly_match", default.nightly_match),
        report_snapshot=stored.get("report_snapshot", default.report_snapshot),
        offer_clock=stored.get("offer_clock", default.offer_clock),
        coordinator_digest=stored.get("coordinator_digest", default.coordinator_digest),
        retention=stored.get("retention", default.retention),
    )


def nightly_match(
    database: Database, timezone: str, lock_stale_s: float = DEFAULT_STALE_AFTER_S
) -> None:
    """The nightly job: one run as of today in the organisation's zone, then the recruitment
    targets of that run."""
    as_of = datetime.now(ZoneInfo(timezone)).date()
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


def report_snapshot(database: Database, timezone: str) -> None:
    as_of = datetime.now(ZoneInfo(timezone)).date()
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
        IntervalTrigger(seconds=int(SEND_MAIL_EVERY.total_seconds())),
        id=SEND_MAIL_JOB,
        name="Send queued e-mail",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(SEND_MAIL_EVERY.total_seconds()),
        args=[database, mail],
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
