"""The retention job and `counselmatch erase`, both backends: only cases closed more than the
set years ago are erased, in batches; the dry run changes nothing; output has counts, no names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from fixtures import factories as f
from jobs.clock import RETENTION_JOB, Schedule, build_scheduler
from jobs.retention import run_retention
from models import AuditEvent, CaseStatus, Child, MatchStatus
from models.settings import RETENTION_YEARS_KEY, put_setting
from tests.conftest import TODAY
from tests.models.erasure_story import child_row
from web.cli import cli


def closed_on(day: date, **child) -> Child:
    made = f.ChildFactory(case_status=CaseStatus.CLOSED, **child)
    f.MatchFactory(
        child=made,
        status=MatchStatus.CLOSED,
        outcome="relief_granted",
        closed_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
    )
    return made


def years_ago(years: int, days: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - years, day=min(TODAY.day, 28)) - timedelta(days=days)


def test_the_job_erases_only_cases_closed_more_than_the_set_years_ago(factories, db):
    old = [closed_on(years_ago(8), first_name="Nayeli") for _ in range(5)]
    recent = closed_on(years_ago(6))
    open_child = f.ChildFactory()
    factories.commit()

    cutoff, summary = run_retention(db, TODAY, batch_size=2)  # three batches: 2, 2, 1

    assert years_ago(8) < cutoff < years_ago(6)
    assert (summary.children, summary.matches) == (5, 5)
    assert all(child_row(factories, c.id).erased_at is not None for c in old)
    assert child_row(factories, recent.id).erased_at is None
    assert child_row(factories, open_child.id).erased_at is None
    assert run_retention(db, TODAY)[1].children == 0  # nothing left: a second run is harmless


def test_a_shorter_retention_setting_erases_more(factories, db):
    recent = closed_on(years_ago(2))
    put_setting(factories, RETENTION_YEARS_KEY, 1)
    factories.commit()
    run_retention(db, TODAY)
    assert child_row(factories, recent.id).erased_at is not None


def test_the_clock_runs_the_retention_job_daily(db):
    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(RETENTION_JOB)
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.next_run_time - datetime.now(UTC) <= timedelta(days=1)
    finally:
        scheduler.shutdown(wait=False)


def test_the_command_counts_in_a_dry_run_and_erases_without_it(factories, runner):
    old = closed_on(date(2015, 6, 1), first_name="Nayeli", last_name="Cux")
    kept = closed_on(date(2019, 6, 1))
    factories.commit()

    dry = runner.invoke(cli, ["erase", "--closed-before", "2018-01-01", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: 1 records (with 1 matches) closed before 2018-01-01" in dry.output
    assert "Nayeli" not in dry.output and "Cux" not in dry.output
    assert child_row(factories, old.id).erased_at is None

    done = runner.invoke(cli, ["erase", "--closed-before", "2018-01-01"])
    assert done.exit_code == 0, done.output
    assert "Erased 1 records closed before 2018-01-01" in done.output
    assert "Nayeli" not in done.output
    assert child_row(factories, old.id).first_name == ""
    assert child_row(factories, kept.id).erased_at is None
    actors = factories.scalars(
        select(AuditEvent.actor).where(AuditEvent.action == "child_erased")
    ).all()
    assert actors == ["cli"]


def test_the_command_refuses_a_bad_or_future_day(factories, runner):
    for day in ("2018-13-01", "yesterday", (TODAY + timedelta(days=1)).isoformat()):
        result = runner.invoke(cli, ["erase", "--closed-before", day])
        assert result.exit_code == 2, result.output
    assert "is in the future" in result.output
    missing = runner.invoke(cli, ["erase", "--dry-run"])
    assert missing.exit_code == 2 and "--closed-before" in missing.output
    assert factories.scalar(select(func.count()).select_from(AuditEvent)) == 0
