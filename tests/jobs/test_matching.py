"""Whole runs on a realistic database: load, the real solver, save; and what a failed run leaves."""

import logging
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

import jobs.matching
from fixtures.demo import csv_text, generate
from jobs.clock import nightly_match
from jobs.matching import run_match
from matcher.rules import Tier
from matcher.solve import DEFAULT_TIME_LIMIT_S
from models import Child, Match, MatchRun, MatchStatus, RunStatus, UnmatchedChild
from models.csv_formats import CsvKind
from models.engine_adapter import load_problem
from models.imports import import_csv
from models.settings import (
    MATCH_WEIGHTS_KEY,
    SOLVER_TIME_LIMIT_KEY,
    put_setting,
)
from tests.matcher.oracle import check_rules
from web.cli import cli

AS_OF = date(2026, 11, 27)


@pytest.fixture
def demo_db(db):
    data = generate(children=300, attorneys=60, seed=7, as_of=AS_OF)
    with db.session() as session, session.begin():
        for kind, rows in (
            (CsvKind.CHILDREN, data.children),
            (CsvKind.ATTORNEYS, data.attorneys),
            (CsvKind.CONFLICTS, data.conflicts),
        ):
            import_csv(session, kind, csv_text(kind, rows).encode(), actor="test")
    return db


def spy_on_time_limits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time limit of every solve a run makes from now on, in order."""
    used: list[float] = []
    real_solve = jobs.matching.solve

    def solve(problem, *, time_limit_s, **options):
        used.append(time_limit_s)
        return real_solve(problem, time_limit_s=time_limit_s, **options)

    monkeypatch.setattr(jobs.matching, "solve", solve)
    return used


def _matches(db, **where):
    with db.session() as session:
        query = select(Match).filter_by(**where).order_by(Match.id)
        return session.scalars(query).all()


def test_a_run_saves_valid_proposals_and_a_reason_for_every_other_child(demo_db):
    with demo_db.session() as session:
        problem = load_problem(session, AS_OF)

    outcome = run_match(demo_db, as_of=AS_OF, trigger="command")

    check_rules(problem, outcome.result)  # the proposals break no rule, read independently
    proposals = _matches(demo_db, run_id=outcome.run_id)
    assert len(proposals) == len(outcome.result.proposals) > 0
    assert all(m.status == MatchStatus.PROPOSED and m.explanation for m in proposals)
    with demo_db.session() as session:
        run = session.get_one(MatchRun, outcome.run_id)
        unmatched = session.scalar(
            select(func.count()).select_from(UnmatchedChild).where(UnmatchedChild.run_id == run.id)
        )
    assert unmatched == len(problem.children) - len(proposals)
    assert run.status == RunStatus.SUCCEEDED and run.finished_at is not None
    assert sum(run.matched_per_tier.values()) == len(proposals)
    assert run.baseline_per_tier and run.gap is not None and "save" in run.timings


def test_a_new_run_replaces_pending_proposals_and_never_repeats_a_rejection(demo_db):
    first = run_match(demo_db, as_of=AS_OF, trigger="command")
    proposals = _matches(demo_db, run_id=first.run_id)
    to_confirm, to_reject = proposals[0], proposals[1]
    with demo_db.session() as session, session.begin():
        session.get_one(Match, to_confirm.id).status = MatchStatus.CONFIRMED
        session.get_one(Match, to_reject.id).status = MatchStatus.REJECTED

    second = run_match(demo_db, as_of=AS_OF, trigger="command")

    assert _matches(demo_db, id=to_confirm.id)[0].status == MatchStatus.CONFIRMED
    assert _matches(demo_db, id=to_reject.id)[0].status == MatchStatus.REJECTED
    assert len(_matches(demo_db, run_id=first.run_id, status=MatchStatus.SUPERSEDED)) == (
        len(proposals) - 2
    )
    new_pairs = {(m.child_id, m.attorney_id) for m in _matches(demo_db, run_id=second.run_id)}
    assert (to_reject.child_id, to_reject.attorney_id) not in new_pairs
    assert to_confirm.child_id not in {child for child, _ in new_pairs}


def test_a_dry_run_writes_nothing(demo_db):
    outcome = run_match(demo_db, as_of=AS_OF, trigger="command", dry_run=True)

    assert outcome.run_id is None and outcome.result.proposals
    assert _matches(demo_db) == []
    with demo_db.session() as session:
        assert session.scalar(select(func.count()).select_from(MatchRun)) == 0


def test_a_failing_run_is_recorded_and_leaves_earlier_proposals_intact(demo_db):
    first = run_match(demo_db, as_of=AS_OF, trigger="command")
    before = [(m.id, m.status) for m in _matches(demo_db)]
    with demo_db.session() as session, session.begin():
        put_setting(session, MATCH_WEIGHTS_KEY, {"tender_age": -5})  # refused by the engine

    with pytest.raises(ValueError, match="tender_age"):
        run_match(demo_db, as_of=AS_OF, trigger="command")

    assert [(m.id, m.status) for m in _matches(demo_db)] == before
    with demo_db.session() as session:
        failed = session.scalars(select(MatchRun).where(MatchRun.id != first.run_id)).one()
    assert failed.status == RunStatus.FAILED and "tender_age" in failed.error


def test_match_command_prints_the_run_against_the_baseline(demo_db, runner):
    result = runner.invoke(cli, ["match", "--as-of", "2026-11-27"])

    assert result.exit_code == 0, result.output
    assert "Run 1 as of 2026-11-27" in result.output
    assert "greedy" in result.output and "proposals saved for review" in result.output
    bad = runner.invoke(cli, ["match", "--as-of", "27/11/2026"])
    assert bad.exit_code == 2 and "'27/11/2026' does not match the format" in bad.output


def test_proposals_unmatched_and_runs_export_after_a_run(demo_db, runner, tmp_path):
    outcome = run_match(demo_db, as_of=AS_OF, trigger="command")
    files = {kind: tmp_path / f"{kind}.csv" for kind in ("proposals", "unmatched", "runs")}

    for kind, path in files.items():
        result = runner.invoke(cli, ["export", kind, "--out", str(path)])
        assert result.exit_code == 0, result.output

    proposals = pd.read_csv(files["proposals"], dtype=str, keep_default_na=False)
    assert list(proposals.columns[:9]) == [
        "child_external_id", "attorney_external_id", "tier", "score",
        "language", "expertise", "distance", "tender_age", "load",
    ]  # fmt: skip
    assert len(proposals) == len(outcome.result.proposals)
    parts = proposals[["language", "expertise", "distance", "tender_age", "load"]].astype(float)
    assert (parts.sum(axis=1) - proposals["score"].astype(float)).abs().max() < 0.01
    assert set(proposals["tier"]) <= {"T1", "T2", "T3", "T4"}
    unmatched = pd.read_csv(files["unmatched"], dtype=str, keep_default_na=False)
    assert list(unmatched.columns[:3]) == ["child_external_id", "tier", "reason"]
    assert len(unmatched) == len(outcome.result.unmatched)
    assert set(unmatched["reason"]) == {u.reason.value for u in outcome.result.unmatched}
    runs = pd.read_csv(files["runs"], dtype=str, keep_default_na=False)
    assert runs.loc[0, "run_id"] == str(outcome.run_id) and runs.loc[0, "status"] == "succeeded"
    assert int(runs.loc[0, "matched_t1"]) == outcome.result.matched_per_tier[Tier.T1]


def test_run_logs_are_one_line_per_stage_and_name_no_child(demo_db, caplog):
    with demo_db.session() as session:
        people = session.execute(select(Child.first_name, Child.last_name, Child.a_number)).all()
    caplog.set_level(logging.INFO)

    outcome = run_match(demo_db, as_of=AS_OF, trigger="command")

    stages = [r.getMessage() for r in caplog.records if r.name == "counselmatch.match"]
    assert [line.split(" stage=")[1].split()[0] for line in stages] == [
        "load",
        "solve",
        "baseline",
        "demand",
        "save",
    ]
    # The solve line's seconds are the solve's own (eligibility included), as the run records.
    logged = float(stages[1].split(" seconds=")[1].split()[0])
    with demo_db.session() as session:
        recorded = session.get_one(MatchRun, outcome.run_id).timings["total"]
    assert logged == pytest.approx(recorded, abs=0.01)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for first_name, last_name, a_number in people:
        assert f"{first_name} {last_name}" not in everything
        assert a_number is None or a_number not in everything


def test_the_nightly_job_and_the_command_give_the_solver_the_time_limit_setting(
    demo_db, runner, monkeypatch
):
    time_limits = spy_on_time_limits(monkeypatch)
    nightly_match(demo_db, "America/New_York")
    with demo_db.session() as session, session.begin():
        put_setting(session, SOLVER_TIME_LIMIT_KEY, 7.5)

    nightly_match(demo_db, "America/New_York")
    setting = runner.invoke(cli, ["match", "--as-of", "2026-11-27", "--dry-run"])
    given = runner.invoke(
        cli, ["match", "--as-of", "2026-11-27", "--dry-run", "--time-limit", "30"]
    )

    assert setting.exit_code == 0 and given.exit_code == 0, setting.output + given.output
    assert time_limits == [DEFAULT_TIME_LIMIT_S, 7.5, 7.5, 30.0]
    with demo_db.session() as session:
        statuses = session.scalars(select(MatchRun.status).order_by(MatchRun.id)).all()
    assert statuses == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]


@pytest.mark.parametrize("stored", [0, -5, "2 minutes", True])
def test_a_time_limit_setting_that_is_not_a_positive_number_fails_the_run_saying_so(db, stored):
    with db.session() as session, session.begin():
        put_setting(session, SOLVER_TIME_LIMIT_KEY, stored)

    with pytest.raises(ValueError, match=f"The {SOLVER_TIME_LIMIT_KEY} setting is"):
        run_match(db, as_of=AS_OF, trigger="command")

    with db.session() as session:
        failed = session.scalars(select(MatchRun)).one()
    assert failed.status == RunStatus.FAILED
    assert "a number of seconds from 1 to 3600" in failed.error
