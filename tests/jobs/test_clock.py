"""The clock: fire times across daylight-saving changes, job wiring, catch-up, the real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from fixtures import factories as f
from jobs.clock import (
    CATCH_UP_JOB,
    FOLLOW_SCHEDULE_EVERY,
    FOLLOW_SCHEDULE_JOB,
    MISFIRE_GRACE,
    NIGHTLY_MATCH_JOB,
    SCHEDULE_KEY,
    SNAPSHOT_JOB,
    Schedule,
    build_scheduler,
    load_schedule,
    missed_fire_time,
)
from models import MatchRun, ReportSnapshot, RunStatus
from models.setting_changes import change_settings
from models.settings import put_setting
from models.snapshots import DAILY_COUNTS, take_daily_snapshot
from web.cli import cli

NEW_YORK = ZoneInfo("America/New_York")


def _fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    times = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return times


@pytest.mark.parametrize(
    ("first_day", "offsets_hours"),
    [
        # 2026-03-08: clocks go forward at 02:00 (EST -5 to EDT -4).
        (date(2026, 3, 6), [-5, -5, -4, -4, -4]),
        # 2026-11-01: clocks go back at 02:00 (EDT -4 to EST -5).
        (date(2026, 10, 30), [-4, -4, -5, -5, -5]),
    ],
)
def test_the_nightly_match_fires_once_a_day_at_0330_local_across_dst(first_day, offsets_hours):
    trigger = Schedule().trigger(Schedule().nightly_match)
    start = datetime.combine(first_day, datetime.min.time(), NEW_YORK)

    fires = _fire_times(trigger, start, start + timedelta(days=5))

    assert [fire.date() for fire in fires] == [first_day + timedelta(days=n) for n in range(5)]
    assert all((fire.hour, fire.minute, fire.second) == (3, 30, 0) for fire in fires)
    offsets = [fire.utcoffset() / timedelta(hours=1) for fire in fires]
    assert offsets == offsets_hours
    utc_hours = [fire.astimezone(UTC).hour for fire in fires]
    assert utc_hours == [3 - offset for offset in offsets_hours]


def test_the_scheduler_holds_both_jobs_with_safe_settings(db):
    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        match = scheduler.get_job(NIGHTLY_MATCH_JOB)
        snapshot = scheduler.get_job(SNAPSHOT_JOB)
        assert (match.coalesce, match.max_instances) == (True, 1)
        assert match.misfire_grace_time == MISFIRE_GRACE.total_seconds() >= 3 * 3600
        local = match.next_run_time.astimezone(NEW_YORK)
        assert (local.hour, local.minute) == (3, 30)
        assert match.next_run_time - datetime.now(UTC) <= timedelta(days=1)
        assert snapshot.next_run_time.astimezone(NEW_YORK).hour == 4
    finally:
        scheduler.shutdown(wait=False)


def test_the_running_clock_follows_a_changed_schedule_setting(db):
    scheduler = build_scheduler(db, load_schedule(db), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        follow = scheduler.get_job(FOLLOW_SCHEDULE_JOB)
        assert follow.trigger.interval == FOLLOW_SCHEDULE_EVERY
        with db.session() as session, session.begin():
            change_settings(
                session,
                "admin@example.org",
                {"schedule.timezone": "America/Chicago", "schedule.nightly_match": "01:45"},
            )

        follow.func()

        match = scheduler.get_job(NIGHTLY_MATCH_JOB)
        local = match.next_run_time.astimezone(ZoneInfo("America/Chicago"))
        assert (local.hour, local.minute) == (1, 45)
        assert match.args[1] == "America/Chicago"  # the zone of the run's "today"
        assert scheduler.get_job(SNAPSHOT_JOB).args[1] == "America/Chicago"
        snapshot = scheduler.get_job(SNAPSHOT_JOB).next_run_time
        assert snapshot.astimezone(ZoneInfo("America/Chicago")).hour == 4
    finally:
        scheduler.shutdown(wait=False)


def test_a_schedule_the_clock_cannot_use_leaves_the_jobs_as_they_were(db, caplog):
    scheduler = build_scheduler(db, load_schedule(db), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        before = scheduler.get_job(NIGHTLY_MATCH_JOB).next_run_time
        with db.session() as session, session.begin():
            put_setting(session, SCHEDULE_KEY, {"nightly_match": {"hour": "99"}})

        scheduler.get_job(FOLLOW_SCHEDULE_JOB).func()

        assert scheduler.get_job(NIGHTLY_MATCH_JOB).next_run_time == before
        assert "the jobs keep their times" in caplog.text
    finally:
        scheduler.shutdown(wait=False)


def test_a_missed_nightly_run_within_the_grace_window_is_caught_up():
    trigger = Schedule().trigger(Schedule().nightly_match)
    scheduled = datetime(2026, 11, 27, 3, 30, tzinfo=NEW_YORK)
    just_after = scheduled + timedelta(minutes=20)

    assert missed_fire_time(trigger, just_after, None) == scheduled
    assert missed_fire_time(trigger, just_after, scheduled - timedelta(days=1)) == scheduled
    assert missed_fire_time(trigger, just_after, scheduled + timedelta(seconds=5)) is None
    assert missed_fire_time(trigger, scheduled + MISFIRE_GRACE + timedelta(minutes=1), None) is None
    assert missed_fire_time(trigger, scheduled - timedelta(minutes=1), None) is None


def test_the_catch_up_job_is_added_only_when_a_run_was_missed(factories, db):
    now = datetime(2026, 11, 27, 8, 50, tzinfo=UTC)  # 03:50 in New York, 20 minutes after 03:30
    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler, now=now)
    assert scheduler.get_job(CATCH_UP_JOB) is not None
    f.MatchRunFactory(started_at=now - timedelta(minutes=10))  # a run after 03:30: none missed
    factories.commit()
    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler, now=now)
    assert scheduler.get_job(CATCH_UP_JOB) is None


def test_the_daily_snapshot_counts_children_with_and_without_counsel(factories):
    as_of = date.today()
    represented = f.ChildFactory(court_code="HOU", language_code="mam")
    f.MatchFactory(child=represented, status="accepted")
    f.ChildFactory(court_code="HOU", language_code="mam")
    f.ChildFactory(court_code="HOU", language_code="mam", detained=True)
    factories.flush()

    snapshot = take_daily_snapshot(factories, as_of)

    assert snapshot.kind == DAILY_COUNTS and snapshot.data["as_of"] == as_of.isoformat()
    houston_mam = [
        r for r in snapshot.data["rows"] if (r["court"], r["language"]) == ("HOU", "mam")
    ]
    by_tier = {row["tier"]: (row["with_counsel"], row["without_counsel"]) for row in houston_mam}
    assert by_tier == {3: (1, 1), 1: (0, 1)}


def test_print_schedule_lists_the_next_runs(runner):
    result = runner.invoke(cli, ["scheduler", "--print-schedule"])

    assert result.exit_code == 0, result.output
    assert f"{NIGHTLY_MATCH_JOB}: " in result.output and " 03:30:00 " in result.output
    assert f"{SNAPSHOT_JOB}: " in result.output


def test_the_clock_process_runs_the_job_on_schedule_and_stops_on_sigterm(factories, db):
    f.ChildFactory()
    f.AttorneyFactory()
    put_setting(
        factories,
        SCHEDULE_KEY,
        {"nightly_match": {"second": "*/4"}, "report_snapshot": {"second": "*/4"}},
    )
    f.MatchRunFactory(started_at=datetime.now(UTC))  # no catch-up: only the schedule runs
    factories.commit()
    env = {**os.environ, "COUNSELMATCH_ENV": "testing", "DATABASE_URL": db.url}
    clock = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import cli; cli()", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        scheduled_runs: list[MatchRun] = []
        snapshots: list[ReportSnapshot] = []
        while time.monotonic() < deadline and not (scheduled_runs and snapshots):
            time.sleep(0.5)
            with db.session() as session:
                scheduled_runs = list(
                    session.scalars(
                        select(MatchRun).where(
                            MatchRun.trigger == "schedule",
                            MatchRun.status == RunStatus.SUCCEEDED,
                        )
                    )
                )
                snapshots = list(
                    session.scalars(
                        select(ReportSnapshot).where(ReportSnapshot.kind == DAILY_COUNTS)
                    )
                )
    finally:
        clock.send_signal(signal.SIGTERM)
        output, _ = clock.communicate(timeout=30)

    assert scheduled_runs, output
    assert snapshots
    assert clock.returncode == 0, output
    assert "clock stopping on SIGTERM" in output and "clock stopped" in output
