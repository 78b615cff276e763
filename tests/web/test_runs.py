"""The runs pages: history, one run's statistics and progress, and "Run now" through the real
engine in the background, refused while another run holds the lock."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fixtures import factories as f
from jobs.runlock import MatchingLock
from models.base import utcnow
from models.entities import AuditEvent, Match, MatchRun, MatchStatus, Role, RunStatus
from models.settings import SOLVER_TIME_LIMIT_KEY, put_setting
from tests.jobs.test_matching import spy_on_time_limits

from .conftest import csrf_token, flash_messages, shown_counts
from .test_unmatched import places_shown

OTHER_ROLES = [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN]
# A run of this test's few children takes well under a second; the bound only stops a hang.
RUN_JOIN_TIMEOUT_S = 120


def shown_runs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-run="(\d+)">', html)]


def run_row(factories, **fields):
    run = f.MatchRunFactory(**fields)
    factories.commit()
    return run


@pytest.mark.parametrize("role", OTHER_ROLES, ids=lambda role: role.value)
@pytest.mark.parametrize("path", ["/runs", "/runs/1", "/children/unmatched"])
def test_other_roles_cannot_see_the_run_pages(client, signed_in, factories, role, path):
    run_row(factories, id=1)
    signed_in(role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", OTHER_ROLES, ids=lambda role: role.value)
def test_other_roles_cannot_start_a_run(client, signed_in, db, role):
    signed_in(role)
    token = csrf_token(client.get("/"))  # the sign-out form's token is the session's token
    assert client.post("/runs", data={"csrf_token": token}).status_code == 403
    with db.session() as session:
        assert session.scalars(select(MatchRun)).all() == []


def test_run_now_without_csrf_token_is_refused(client, signed_in, db):
    signed_in(Role.COORDINATOR)
    response = client.post("/runs")
    assert response.status_code == 400
    with db.session() as session:
        assert session.scalars(select(MatchRun)).all() == []


def test_no_run_yet_says_how_to_start(client, signed_in):
    signed_in(Role.COORDINATOR)
    html = client.get("/runs").get_data(as_text=True)
    assert "No run yet" in html and "counselmatch match" in html
    assert 'action="/runs"' in html and 'value="Run now"' in html


def test_history_shows_every_statistic_newest_first(client, signed_in, factories):
    user = signed_in(Role.COORDINATOR)
    started = utcnow() - timedelta(hours=5)
    nightly = run_row(
        factories,
        trigger="schedule",
        as_of=date(2026, 11, 20),
        started_at=started,
        finished_at=started + timedelta(seconds=75),
        inputs={"children": 412, "eligible_pairs": 9000},
        matched_per_tier={"T1": 31, "T2": 40, "T3": 12, "T4": 3},
        baseline_per_tier={"T1": 29, "T2": 35, "T3": 14, "T4": 1},
        objective=12345.67,
        gap=0.0123,
        timings={"load": 0.5, "flow": 1.25, "save": 0.75},
    )
    failed = run_row(
        factories,
        trigger="web",
        started_by_id=user.id,
        status=RunStatus.FAILED,
        started_at=started + timedelta(hours=1),
        finished_at=started + timedelta(hours=1, seconds=3),
        objective=None,
        gap=None,
        matched_per_tier={},
        baseline_per_tier={},
        timings={},
        error="RuntimeError: the database went away\nTraceback (most recent call last):\n  ...",
    )
    running = run_row(
        factories,
        trigger="command",
        status=RunStatus.RUNNING,
        stage="solving",
        started_at=started + timedelta(hours=2),
        finished_at=None,
        matched_per_tier={},
        baseline_per_tier={},
    )

    html = client.get("/runs").get_data(as_text=True)

    assert shown_runs(html) == [running.id, failed.id, nightly.id]
    nightly_row = html[html.index(f'data-run="{nightly.id}"') :]
    assert "Nightly schedule" in nightly_row[:400]
    assert "2026-11-20" in nightly_row
    assert "1 min 15 s" in nightly_row
    for tier, matched, greedy in [("T1", 31, 29), ("T2", 40, 35), ("T3", 12, 14), ("T4", 3, 1)]:
        assert f'<li class="nowrap">{tier} {matched} ({greedy})</li>' in nightly_row
    assert "12,345.7" in nightly_row and "1.23%" in nightly_row and ">412<" in nightly_row
    assert "load 0.50 s</li>" in nightly_row and "flow 1.25 s</li>" in nightly_row
    failed_row = html[
        html.index(f'data-run="{failed.id}"') : html.index(f'data-run="{nightly.id}"')
    ]
    assert f"Run now by {user.email}" in failed_row
    assert '<p class="run-error">RuntimeError: the database went away</p>' in failed_row
    assert "<details>" in failed_row and "Traceback (most recent call last)" in failed_row
    running_row = html[
        html.index(f'data-run="{running.id}"') : html.index(f'data-run="{failed.id}"')
    ]
    assert "Command line" in running_row and "Running" in running_row and "Solving" in running_row
    assert f"Run {running.id} is in progress" in html  # the notice above the Run now button


def test_history_is_paginated(app, client, signed_in, factories):
    app.config["PAGE_SIZE"] = 2
    signed_in(Role.COORDINATOR)
    ids = [run_row(factories).id for _ in range(5)]

    first = client.get("/runs").get_data(as_text=True)
    second = client.get("/runs?page=2").get_data(as_text=True)
    last = client.get("/runs?page=3").get_data(as_text=True)
    beyond = client.get("/runs?page=99").get_data(as_text=True)

    assert shown_runs(first) == ids[::-1][:2] and 'href="/runs?page=2" rel="next"' in first
    assert "Showing 1&ndash;2 of 5 runs (page 1 of 3)" in first and 'rel="prev"' not in first
    assert shown_runs(second) == ids[::-1][2:4]
    assert 'href="/runs?page=1" rel="prev"' in second and 'href="/runs?page=3"' in second
    assert shown_runs(last) == ids[:1] and 'rel="next"' not in last
    assert shown_runs(beyond) == ids[:1]  # past the end: the last page


def test_a_finished_run_shows_its_statistics_and_unmatched_reasons(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    run = run_row(
        factories,
        inputs={
            "children": 9,
            "children_per_tier": {"T1": 4, "T2": 2, "T3": 2, "T4": 1},
            "eligible_pairs": 1234,
            "solver_status": "optimal",
            "superseded": 5,
            "dropped_as_stale": 1,
        },
        matched_per_tier={"T1": 1, "T2": 1, "T3": 1, "T4": 0},
        baseline_per_tier={"T1": 1, "T2": 0, "T3": 1, "T4": 1},
        objective=4321.0,
        bound=4321.0,
        gap=0.0,
    )
    houston_mam = {"court_code": "HOU", "language_code": "mam"}
    for tier in (1, 1, 2):
        f.UnmatchedChildFactory(
            run=run,
            tier=tier,
            child=f.ChildFactory(**houston_mam),
            counts={"serve_court": 12, "language": 0, "no_conflict": 0, "free_capacity": 0},
        )
    f.UnmatchedChildFactory(
        run=run,
        tier=1,
        reason="all_eligible_full",
        detail="All 3 eligible attorneys are full (no free places).",
        child=f.ChildFactory(court_code="SFR", language_code="spa"),
        counts={"serve_court": 5, "no_conflict": 3, "free_capacity": 0},
    )
    f.UnmatchedChildFactory(  # not urgent: counted per reason, not in the court list
        run=run, tier=4, reason="all_eligible_full", child=f.ChildFactory(court_code="SFR")
    )
    f.UnmatchedChildFactory(  # another run's reasons are not this run's
        run=f.MatchRunFactory(), tier=1, child=f.ChildFactory(**houston_mam)
    )
    f.MatchFactory(run=run, status=MatchStatus.PROPOSED)
    f.MatchFactory(run=run, status=MatchStatus.CONFIRMED)
    factories.commit()

    response = client.get(f"/runs/{run.id}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and "Refresh" not in response.headers
    counts = shown_counts(response)
    assert counts["children"] == 9
    assert (counts["matched-T2"], counts["greedy-T2"], counts["greedy-T4"]) == (1, 0, 1)
    assert "1,234" in html and "optimal" in html and "4,321.0" in html and "0.00%" in html
    assert "5 proposals of earlier runs" in html and "1 were dropped" in html
    assert counts["proposals-proposed"] == 1 and counts["proposals-confirmed"] == 1
    assert counts["reason-no_language"] == 3 and counts["urgent-no_language"] == 3
    assert counts["reason-all_eligible_full"] == 2 and counts["urgent-all_eligible_full"] == 1
    assert counts["unmatched-total"] == 5
    assert "No attorney speaks the language" in html and "Every eligible attorney is full" in html
    # Places with no eligible attorney at all come first.
    assert places_shown(html) == [
        ("Houston (HOU), Mam", "No attorney speaks the language", 3, 0, 0),
        ("San Francisco (SFR), Spanish", "Every eligible attorney is full", 1, 3, 0),
    ]


def test_a_running_run_shows_its_progress_and_reloads(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    run = run_row(
        factories,
        status=RunStatus.RUNNING,
        stage="solving",
        started_at=utcnow() - timedelta(seconds=90),
        heartbeat_at=utcnow(),
        finished_at=None,
    )

    response = client.get(f"/runs/{run.id}")
    html = response.get_data(as_text=True)
    stopped = client.get(f"/runs/{run.id}?refresh=off")

    assert response.headers["Refresh"] == "3"
    assert "In progress" in html and 'data-stage="solving">Solving<' in html
    assert re.search(r"1 min \d+ s ago", html)
    assert f'href="/runs/{run.id}?refresh=off">Stop reloading</a>' in html
    assert "Refresh" not in stopped.headers and "Automatic reloading is off" in stopped.get_data(
        as_text=True
    )


def test_an_unknown_run_is_not_found(client, signed_in):
    signed_in(Role.COORDINATOR)
    assert client.get("/runs/4040").status_code == 404


def _wait_for_the_background_run(run_id: int) -> None:
    for thread in threading.enumerate():
        if thread.name == f"match-run-{run_id}":
            thread.join(RUN_JOIN_TIMEOUT_S)
            assert not thread.is_alive(), f"run {run_id} still running after the bound"


def test_run_now_runs_the_engine_in_the_background(client, signed_in, factories, db):
    user = signed_in(Role.COORDINATOR)
    soon, later = date.today() + timedelta(days=5), date.today() + timedelta(days=200)
    urgent = [f.ChildFactory(next_hearing_date=soon) for _ in range(2)]
    waiting = f.ChildFactory(next_hearing_date=later)
    mam = f.ChildFactory(language_code="mam", next_hearing_date=soon)
    attorneys = [f.AttorneyFactory(capacity=1) for _ in range(2)]
    factories.commit()

    response = client.post("/runs", data={"csrf_token": csrf_token(client.get("/runs"))})

    assert response.status_code == 302
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert response.headers["Location"] == f"/runs/{run_id}"
    _wait_for_the_background_run(run_id)
    with db.session() as session:
        run = session.get_one(MatchRun, run_id)
        proposals = session.scalars(select(Match).where(Match.run_id == run_id)).all()
        audit = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.entity_id).where(
                AuditEvent.action.like("match_run%")
            )
        ).all()
    assert (run.status, run.trigger, run.started_by_id, run.as_of) == (
        RunStatus.SUCCEEDED,
        "web",
        user.id,
        date.today(),
    )
    assert {(m.child_id, m.status) for m in proposals} == {
        (child.id, MatchStatus.PROPOSED) for child in urgent
    }
    assert {m.attorney_id for m in proposals} == {a.id for a in attorneys}
    assert sorted(audit) == [
        (user.email, "match_run_started", str(run_id)),
        (user.email, "match_run_succeeded", str(run_id)),
    ]
    page = client.get(f"/runs/{run_id}")
    html = page.get_data(as_text=True)
    assert f"Run {run_id} started." in html  # the flash shown after the redirect
    assert "Refresh" not in page.headers and "Succeeded" in html
    counts = shown_counts(page)
    assert counts["matched-T1"] == 2 and counts["proposals-proposed"] == 2
    assert counts["reason-no_language"] == 1 and counts["reason-taken_by_more_urgent"] == 1
    assert places_shown(html) == [
        ("Houston (HOU), Mam", "No attorney speaks the language", 1, 0, 0)
    ]
    assert waiting.id not in {m.child_id for m in proposals}
    assert mam.id not in {m.child_id for m in proposals}


def test_run_now_gives_the_solver_the_time_limit_setting(
    client, signed_in, factories, db, monkeypatch
):
    signed_in(Role.COORDINATOR)
    f.ChildFactory()
    f.AttorneyFactory()
    put_setting(factories, SOLVER_TIME_LIMIT_KEY, 9)
    factories.commit()
    time_limits = spy_on_time_limits(monkeypatch)

    response = client.post("/runs", data={"csrf_token": csrf_token(client.get("/runs"))})

    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    _wait_for_the_background_run(run_id)
    assert time_limits == [9.0]
    with db.session() as session:
        assert session.get_one(MatchRun, run_id).status == RunStatus.SUCCEEDED


def test_run_now_while_a_run_holds_the_lock_is_refused(client, signed_in, factories, db):
    user = signed_in(Role.COORDINATOR)
    lock = MatchingLock(db)
    lock.acquire()
    try:
        since = utcnow() - timedelta(minutes=7)
        running = run_row(
            factories,
            status=RunStatus.RUNNING,
            stage="loading",
            started_at=since,
            finished_at=None,
        )
        lock.attach(running.id)

        response = client.post("/runs", data={"csrf_token": csrf_token(client.get("/runs"))})

        assert response.status_code == 302
        assert response.headers["Location"] == f"/runs/{running.id}"
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert flash_messages(html) == [
            f"Run {running.id} has been in progress since {since:%H:%M} UTC; "
            "it was not started again."
        ]
        with db.session() as session:
            assert [r.id for r in session.scalars(select(MatchRun))] == [running.id]
            refusal = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "match_run_refused")
            ).one()
        assert (refusal.actor, refusal.entity_id) == (user.email, str(running.id))
    finally:
        lock.release()


@pytest.mark.parametrize(
    "path", ["/runs", "/runs/1", "/children/unmatched", "/spreadsheets", "/audit"]
)
def test_the_pages_meet_the_accessibility_basics(client, signed_in, factories, path):
    run_row(factories, id=1, status=RunStatus.RUNNING, finished_at=None)
    signed_in(Role.COORDINATOR)
    html = client.get(path).get_data(as_text=True)
    assert html.count("<h1") == 1 and '<main id="main"' in html
    assert "style=" not in html and "<script" not in html  # the CSP allows neither
    for field in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        if field not in ("csrf_token", "submit"):
            assert f'for="{field}"' in html, f"{path}: no label for #{field}"
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        assert "<caption>" in table and 'scope="col"' in table
