"""One run at a time across processes; crashes and kills leave the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from fixtures import factories as f
from fixtures.demo import csv_text, generate
from jobs.matching import run_match, save_run, solve_problem, start_run
from jobs.runlock import LOCK_NAME, MatchingLock, RunInProgress
from models import Match, MatchRun, MatchStatus, RunLock, RunStatus
from models.base import utcnow
from models.csv_formats import DATA_KINDS
from models.imports import import_csv
from web import create_app
from web.cli import cli

AS_OF = date(2026, 11, 27)


def _load_demo(db, children: int, attorneys: int) -> None:
    data = generate(children=children, attorneys=attorneys, seed=11, as_of=AS_OF)
    with db.session() as session, session.begin():
        for kind in DATA_KINDS:
            import_csv(session, kind, csv_text(kind, data.rows(kind)).encode(), actor="test")


@pytest.fixture
def small_db(db):
    _load_demo(db, 300, 60)
    return db


@pytest.fixture
def large_db(db):
    """Large enough that one run lasts seconds, so concurrent starts surely overlap."""
    _load_demo(db, 20_000, 4_000)
    return db


def _statuses(db) -> list[tuple[int, str]]:
    with db.session() as session:
        return [(m.id, m.status) for m in session.scalars(select(Match).order_by(Match.id))]


def _runs(db) -> list[MatchRun]:
    with db.session() as session:
        return list(session.scalars(select(MatchRun).order_by(MatchRun.id)))


def _counselmatch(db, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COUNSELMATCH_ENV": "testing", "DATABASE_URL": db.url}
    return subprocess.Popen(
        [sys.executable, "-c", "from web.cli import cli; cli()", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_start_is_refused_naming_the_run_in_progress(small_db):
    holder = MatchingLock(small_db)
    holder.acquire()
    run_id = start_run(small_db, as_of=AS_OF, trigger="command")
    holder.attach(run_id)
    try:
        with pytest.raises(RunInProgress, match=f"Run {run_id} has been in progress since"):
            run_match(small_db, as_of=AS_OF, trigger="command")
    finally:
        holder.release()
    assert len(_runs(small_db)) == 1


def test_the_lock_is_free_again_after_a_run_and_after_a_failed_run(small_db):
    run_match(small_db, as_of=AS_OF, trigger="command")
    second = run_match(small_db, as_of=AS_OF, trigger="command")
    assert second.run_id == 2
    with small_db.session() as session:
        assert session.scalar(select(func.count()).select_from(RunLock)) == 0


def test_two_processes_started_together_make_one_run_and_one_clear_refusal(large_db):
    first, second = _counselmatch(large_db, "match"), _counselmatch(large_db, "match")
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    codes = sorted(process.returncode for process in (first, second))

    assert codes == [0, 1], outputs
    refusal = next(
        err for (_, err), p in zip(outputs, (first, second), strict=True) if p.returncode
    )
    assert "has been in progress since" in refusal and "not starting another" in refusal
    runs = _runs(large_db)
    assert [run.status for run in runs] == [RunStatus.SUCCEEDED]


def test_a_run_killed_mid_solve_leaves_the_database_as_it_was_and_the_next_run_works(large_db):
    run_match(large_db, as_of=AS_OF, trigger="command")
    before = _statuses(large_db)
    victim = _counselmatch(large_db, "match")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = _runs(large_db)
        if len(runs) == 2 and runs[-1].stage == "solving":
            break
        time.sleep(0.05)
    else:
        victim.kill()
        victim.communicate()
        pytest.fail("the second run never reached the solving stage")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)

    assert _statuses(large_db) == before  # nothing of the killed run was written
    outcome = run_match(large_db, as_of=AS_OF, trigger="command")

    killed, latest = _runs(large_db)[1:]
    assert killed.status == RunStatus.FAILED and "Interrupted" in (killed.error or "")
    assert latest.id == outcome.run_id and latest.status == RunStatus.SUCCEEDED


def test_a_confirmation_taken_while_the_run_solves_survives_the_save(small_db):
    first = run_match(small_db, as_of=AS_OF, trigger="command")
    lock = MatchingLock(small_db)
    lock.acquire()
    run_id = start_run(small_db, as_of=AS_OF, trigger="command")
    lock.attach(run_id)
    try:
        solved = solve_problem(small_db, run_id, AS_OF, time_limit_s=60)
        # The coordinator confirms one of the first run's proposals while the engine works.
        with small_db.session() as session, session.begin():
            match = session.scalars(select(Match).where(Match.run_id == first.run_id)).first()
            match.status = MatchStatus.CONFIRMED
            confirmed_id, child_id = match.id, match.child_id
        saved = save_run(small_db, run_id, solved, "command")
    finally:
        lock.release()

    with small_db.session() as session:
        assert session.get_one(Match, confirmed_id).status == MatchStatus.CONFIRMED
        new_children = session.scalars(select(Match.child_id).where(Match.run_id == run_id)).all()
    assert child_id not in new_children
    assert saved.proposed == len(new_children)


def test_the_command_takes_over_a_lock_whose_heartbeat_is_older_than_the_configured_staleness(
    factories, db, monkeypatch
):
    """On SQLite the staleness decides; PostgreSQL's advisory lock ignores a left-over row."""
    f.ChildFactory()
    f.AttorneyFactory()
    factories.commit()
    stopped = utcnow() - timedelta(seconds=30)
    with db.engine.begin() as connection:
        connection.execute(
            insert(RunLock).values(
                name=LOCK_NAME, holder="elsewhere:1", acquired_at=stopped, heartbeat_at=stopped
            )
        )
    monkeypatch.delenv("COUNSELMATCH_LOCK_STALE_S", raising=False)
    testing = {"ENV_NAME": "testing", "DATABASE_URL": db.url}
    default_app, impatient_app = create_app(testing), create_app({**testing, "LOCK_STALE_S": 10})
    try:
        refused = default_app.test_cli_runner().invoke(cli, ["match"])
        taken_over = impatient_app.test_cli_runner().invoke(cli, ["match"])
    finally:
        for app in (default_app, impatient_app):
            app.extensions["counselmatch_db"].dispose()

    assert taken_over.exit_code == 0, taken_over.output
    if db.engine.dialect.name == "postgresql":  # the server frees a dead holder's lock itself
        assert refused.exit_code == 0, refused.output
        assert [run.status for run in _runs(db)] == [RunStatus.SUCCEEDED] * 2
    else:
        assert refused.exit_code == 1, refused.output  # 30 s is not stale by the default 60 s
        assert [run.status for run in _runs(db)] == [RunStatus.SUCCEEDED]
