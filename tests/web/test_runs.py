"""The runs pages: history, one run's statistics and progress, and "Run now": a request the real
clock job runs through the real engine (the web process never solves), refused while a run is
queued or in progress, cancellable until the clock starts it."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fixtures import factories as f
from jobs.clock import load_schedule
from jobs.matching import run_requested, today_in
from jobs.runlock import MatchingLock
from models.base import utcnow
from models.entities import AuditEvent, Match, MatchRun, MatchStatus, Role, RunStatus
from models.run_requests import RunRequestRefused, request_run
from models.settings import SOLVER_TIME_LIMIT_KEY, put_setting
from tests.jobs.test_matching import spy_on_time_limits
from tests.models.races import race

from .conftest import csrf_token, flash_messages, post_from, shown_counts
from .test_unmatched import places_shown

OTHER_ROLES = [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN]


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


def _request_by_post(client) -> int:
    """Run now, as the button does; the id of the run it shows."""
    response = client.post("/runs", data={"csrf_token": csrf_token(client.get("/runs"))})
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert response.headers["Location"] == f"/runs/{run_id}"
    return run_id


def _run_threads() -> set[str]:
    return {thread.name for thread in threading.enumerate() if thread.name.startswith("run-")}


def _today(db) -> date:
    return today_in(load_schedule(db).timezone)


def test_run_now_queues_the_run_and_the_clock_runs_it(
    client, signed_in, factories, db, monkeypatch
):
    user = signed_in(Role.COORDINATOR)
    soon, later = date.today() + timedelta(days=5), date.today() + timedelta(days=200)
    urgent = [f.ChildFactory(next_hearing_date=soon) for _ in range(2)]
    waiting = f.ChildFactory(next_hearing_date=later)
    mam = f.ChildFactory(language_code="mam", next_hearing_date=soon)
    attorneys = [f.AttorneyFactory(capacity=1) for _ in range(2)]
    factories.commit()
    solves = spy_on_time_limits(monkeypatch)
    threads_before = _run_threads()

    run_id = _request_by_post(client)

    # The web process solved nothing and started no thread: the run waits for the clock.
    assert solves == [] and _run_threads() == threads_before
    with db.session() as session:
        queued = session.get_one(MatchRun, run_id)
        assert session.scalars(select(Match)).all() == []
    assert (queued.status, queued.stage, queued.heartbeat_at) == (RunStatus.QUEUED, None, None)
    assert (queued.trigger, queued.started_by_id) == ("web", user.id)
    assert queued.requested_at is not None and queued.requested_at == queued.started_at
    page = client.get(f"/runs/{run_id}")
    html = page.get_data(as_text=True)
    assert f"Run {run_id} requested: the clock process starts it within seconds." in html
    assert "Queued" in html and page.headers["Refresh"] == "3"

    outcome = run_requested(db, load_schedule(db).timezone)  # the clock's job, in this test

    assert outcome is not None and outcome.run_id == run_id and len(solves) == 1
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
        _today(db),
    )
    assert run.requested_at == queued.requested_at and run.started_at >= run.requested_at
    assert {(m.child_id, m.status) for m in proposals} == {
        (child.id, MatchStatus.PROPOSED) for child in urgent
    }
    assert {m.attorney_id for m in proposals} == {a.id for a in attorneys}
    assert sorted(audit) == [
        (user.email, "match_run_requested", str(run_id)),
        (user.email, "match_run_succeeded", str(run_id)),
    ]
    page = client.get(f"/runs/{run_id}")
    html = page.get_data(as_text=True)
    assert "Refresh" not in page.headers and "Succeeded" in html
    counts = shown_counts(page)
    assert counts["matched-T1"] == 2 and counts["proposals-proposed"] == 2
    assert counts["reason-no_language"] == 1 and counts["reason-taken_by_more_urgent"] == 1
    assert places_shown(html) == [
        ("Houston (HOU), Mam", "No attorney speaks the language", 1, 0, 0)
    ]
    assert waiting.id not in {m.child_id for m in proposals}
    assert mam.id not in {m.child_id for m in proposals}
    assert run_requested(db, load_schedule(db).timezone) is None  # nothing left to run


def test_a_requested_run_gives_the_solver_the_time_limit_setting(
    client, signed_in, factories, db, monkeypatch
):
    signed_in(Role.COORDINATOR)
    f.ChildFactory()
    f.AttorneyFactory()
    put_setting(factories, SOLVER_TIME_LIMIT_KEY, 9)
    factories.commit()
    time_limits = spy_on_time_limits(monkeypatch)

    run_id = _request_by_post(client)
    run_requested(db, load_schedule(db).timezone)

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
            heartbeat_at=utcnow(),
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


def test_a_run_cut_short_does_not_block_run_now(app, client, signed_in, factories, db):
    """A run recorded as running whose heartbeat stopped longer ago than the lock's staleness
    died with its process: the request waits, and the clock's lock marks the old run failed."""
    signed_in(Role.COORDINATOR)
    stale = app.config["LOCK_STALE_S"]
    dead = run_row(
        factories,
        status=RunStatus.RUNNING,
        stage="solving",
        started_at=utcnow() - timedelta(hours=1),
        heartbeat_at=utcnow() - timedelta(seconds=stale + 5),
        finished_at=None,
    )

    run_id = _request_by_post(client)
    outcome = run_requested(db, load_schedule(db).timezone, lock_stale_s=stale)

    assert outcome is not None and outcome.run_id == run_id
    with db.session() as session:
        assert session.get_one(MatchRun, dead.id).status == RunStatus.FAILED
        assert session.get_one(MatchRun, run_id).status == RunStatus.SUCCEEDED


def test_run_now_while_a_run_is_queued_is_refused_naming_it(client, signed_in, db):
    user = signed_in(Role.COORDINATOR)
    first = _request_by_post(client)
    with db.session() as session:
        requested = session.get_one(MatchRun, first).requested_at

    response = client.post("/runs", data={"csrf_token": csrf_token(client.get("/runs"))})

    assert response.headers["Location"] == f"/runs/{first}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert flash_messages(html) == [
        f"Run {first} is already waiting for the clock process (requested {requested:%H:%M} "
        "UTC); it was not requested again."
    ]
    with db.session() as session:
        assert [r.id for r in session.scalars(select(MatchRun))] == [first]
        actions = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.entity_id).order_by(
                AuditEvent.id
            )
        ).all()
    assert actions[-2:] == [
        (user.email, "match_run_requested", str(first)),
        (user.email, "match_run_refused", str(first)),
    ]


def test_two_requests_at_the_same_instant_make_one_queued_run(db, make_user):
    first_user = make_user(Role.COORDINATOR, "first@example.org")
    second_user = make_user(Role.COORDINATOR, "second@example.org")
    asked: list[int] = []

    def ask(user):
        def request(session):
            run = request_run(session, user, as_of=date.today(), stale_after_s=60)
            asked.append(run.id)
            return run.id

        return request

    refused, waited = race(
        db,
        ask(first_user),
        ask(second_user),
        lambda statement: (
            "pg_advisory_xact_lock" in statement or statement.startswith("UPDATE match_runs")
        ),
    )

    assert waited == [True]  # the second request waited for the first to commit
    assert isinstance(refused, RunRequestRefused) and refused.run_id == asked[0]
    assert f"Run {asked[0]} is already waiting for the clock process" in str(refused)
    with db.session() as session:
        runs = session.execute(select(MatchRun.id, MatchRun.status, MatchRun.started_by_id)).all()
    assert runs == [(asked[0], RunStatus.QUEUED, first_user.id)]


def test_the_database_holds_at_most_one_queued_run(factories):
    run_row(factories, status=RunStatus.QUEUED, finished_at=None, heartbeat_at=None)
    with pytest.raises(IntegrityError):
        f.MatchRunFactory(status=RunStatus.QUEUED, finished_at=None, heartbeat_at=None)
        factories.flush()
    factories.rollback()
    for status in (RunStatus.CANCELLED, RunStatus.CANCELLED, RunStatus.FAILED):
        f.MatchRunFactory(status=status)
    factories.commit()  # only queued runs are limited to one


def _queued(factories, waited: timedelta = timedelta(seconds=10)) -> MatchRun:
    asked = utcnow() - waited
    return run_row(
        factories,
        trigger="web",
        status=RunStatus.QUEUED,
        requested_at=asked,
        started_at=asked,
        heartbeat_at=None,
        finished_at=None,
        inputs={},
        matched_per_tier={},
        baseline_per_tier={},
        objective=None,
        bound=None,
        gap=None,
        timings={},
    )


def test_a_queued_run_shows_it_waits_and_reloads(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    run = _queued(factories)

    response = client.get(f"/runs/{run.id}")
    html = response.get_data(as_text=True)
    stopped = client.get(f"/runs/{run.id}?refresh=off")

    assert response.headers["Refresh"] == "3"
    assert (
        "Waiting for the clock process to start it "
        f"(requested {run.requested_at:%H:%M} UTC)." in html
    )
    assert f'href="/runs/{run.id}?refresh=off">Stop reloading</a>' in html
    assert f'action="/runs/{run.id}/cancel"' in html and 'value="Cancel this request"' in html
    assert "data-clock-late" not in html and "Succeeded" not in html
    assert "Refresh" not in stopped.headers
    assert "Automatic reloading is off" in stopped.get_data(as_text=True)


def test_a_request_waiting_over_a_minute_warns_the_clock_may_be_down(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    run = _queued(factories, waited=timedelta(minutes=2))

    html = client.get(f"/runs/{run.id}").get_data(as_text=True)

    late = html[html.index("data-clock-late") :]
    assert "the clock process may not be running" in late[:400]
    assert "<code>clock:</code> line of the Procfile" in late and "counselmatch scheduler" in late


def test_the_history_labels_queued_and_cancelled_runs(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    cancelled = run_row(
        factories, status=RunStatus.CANCELLED, error="Cancelled by x@example.org before it started."
    )
    queued = _queued(factories)

    html = client.get("/runs").get_data(as_text=True)

    queued_at, cancelled_at = (html.index(f'data-run="{run.id}"') for run in (queued, cancelled))
    queued_row = html[queued_at:cancelled_at]
    assert "Queued" in queued_row and "Waiting for the clock process" in queued_row
    assert '<td class="nowrap">&ndash;</td>' in queued_row  # no start, no duration yet
    cancelled_row = html[cancelled_at:]
    assert "Cancelled" in cancelled_row[:600]
    assert f"Run {queued.id} is waiting for the clock process" in html  # above Run now


def test_cancelling_a_request_withdraws_it_before_the_clock_starts_it(client, signed_in, db):
    user = signed_in(Role.COORDINATOR)
    run_id = _request_by_post(client)

    response = post_from(client, f"/runs/{run_id}", f"/runs/{run_id}/cancel")

    assert response.headers["Location"] == f"/runs/{run_id}"
    page = client.get(f"/runs/{run_id}")
    html = page.get_data(as_text=True)
    assert flash_messages(html) == [
        f"Run {run_id} was cancelled before it started; nothing changed."
    ]
    assert "Cancelled before it started" in html and "Refresh" not in page.headers
    assert f"Cancelled by {user.email} before it started." in html
    assert run_requested(db, load_schedule(db).timezone) is None  # the clock skips it
    with db.session() as session:
        run = session.get_one(MatchRun, run_id)
        cancelled = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "match_run_cancelled")
        ).one()
        assert session.scalars(select(Match)).all() == []
    assert (run.status, run.finished_at is not None) == (RunStatus.CANCELLED, True)
    assert (cancelled.actor, cancelled.entity_id) == (user.email, str(run_id))
    assert _request_by_post(client) != run_id  # another request may follow


@pytest.mark.parametrize("status", [RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.CANCELLED])
def test_only_a_queued_run_can_be_cancelled(client, signed_in, factories, db, status):
    signed_in(Role.COORDINATOR)
    run = run_row(factories, status=status, heartbeat_at=utcnow())

    response = post_from(client, f"/runs/{run.id}", f"/runs/{run.id}/cancel")

    assert response.headers["Location"] == f"/runs/{run.id}"
    [message] = flash_messages(client.get(f"/runs/{run.id}").get_data(as_text=True))
    assert message.startswith(f"Run {run.id} ")
    assert "cancel" in message
    with db.session() as session:
        assert session.get_one(MatchRun, run.id).status == status
        assert (
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == "match_run_cancelled")
            ).all()
            == []
        )


@pytest.mark.parametrize("run_id", [4040, 2**31, 2**63, 2**64])
def test_cancelling_an_unknown_run_is_not_found(client, signed_in, run_id):
    signed_in(Role.COORDINATOR)
    assert post_from(client, "/runs", f"/runs/{run_id}/cancel").status_code == 404
    assert client.get(f"/runs/{run_id}").status_code == 404


def test_cancel_without_csrf_token_is_refused(client, signed_in, factories, db):
    signed_in(Role.COORDINATOR)
    run = _queued(factories)
    assert client.post(f"/runs/{run.id}/cancel").status_code == 400
    with db.session() as session:
        assert session.get_one(MatchRun, run.id).status == RunStatus.QUEUED


@pytest.mark.parametrize("role", OTHER_ROLES, ids=lambda role: role.value)
def test_other_roles_cannot_cancel_a_request(client, signed_in, factories, db, role):
    run = _queued(factories)
    signed_in(role)
    token = csrf_token(client.get("/"))
    assert client.post(f"/runs/{run.id}/cancel", data={"csrf_token": token}).status_code == 403
    with db.session() as session:
        assert session.get_one(MatchRun, run.id).status == RunStatus.QUEUED


@pytest.mark.parametrize(
    "path", ["/runs", "/runs/1", "/runs/2", "/children/unmatched", "/spreadsheets", "/audit"]
)
def test_the_pages_meet_the_accessibility_basics(client, signed_in, factories, path):
    run_row(factories, id=1, status=RunStatus.RUNNING, finished_at=None)
    run_row(factories, id=2, status=RunStatus.QUEUED, finished_at=None, heartbeat_at=None)
    signed_in(Role.COORDINATOR)
    html = client.get(path).get_data(as_text=True)
    assert html.count("<h1") == 1 and '<main id="main"' in html
    assert "style=" not in html and "<script" not in html  # the CSP allows neither
    for field in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        if field not in ("csrf_token", "submit"):
            assert f'for="{field}"' in html, f"{path}: no label for #{field}"
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        assert "<caption>" in table and 'scope="col"' in table
