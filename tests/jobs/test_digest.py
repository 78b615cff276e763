"""The coordinators' daily digest: its figures, its message (counts and links, no child's
name, A-number or birth date), its recipients, and none when nothing happened; a fixed date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from fixtures import factories as f
from jobs.clock import DIGEST_JOB, Schedule, build_scheduler
from jobs.digest import coordinator_digest
from models import MatchStatus, Role
from models.digest import DIGEST_KIND, digest_figures, queue_coordinator_digest
from models.entities import CaseStatus, Child, OutboxMessage
from models.settings import PUBLIC_BASE_URL_KEY, put_setting

AS_OF = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 08:00 in New York
SINCE = NOW - timedelta(days=1)
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BASE = "https://counsel.example.org"


def child(external_id: str, *, created_at: datetime = LONG_AGO, **fields):
    return f.ChildFactory(external_id=external_id, created_at=created_at, **fields)


@pytest.fixture
def happenings(factories):
    """A day's events around AS_OF: who became urgent, which offers were turned down."""
    became_urgent = child("C-NOW-T2", next_hearing_date=AS_OF + timedelta(days=30))
    new_detained = child(
        "C-NEW-DETAINED", detained=True, next_hearing_date=None, created_at=NOW - timedelta(hours=2)
    )
    child("C-ALREADY-T1", next_hearing_date=AS_OF + timedelta(days=10))
    represented = child("C-REPRESENTED", next_hearing_date=AS_OF + timedelta(days=30))
    f.MatchFactory(child=represented, status=MatchStatus.ACCEPTED)
    child(
        "C-CLOSED",
        next_hearing_date=AS_OF + timedelta(days=30),
        case_status=CaseStatus.CLOSED,
    )
    child("C-LATER", next_hearing_date=AS_OF + timedelta(days=60))
    expired = f.MatchFactory(
        child=child("C-EXPIRED"), status=MatchStatus.EXPIRED, answered_at=NOW - timedelta(hours=3)
    )
    declined = f.MatchFactory(
        child=child("C-DECLINED"),
        status=MatchStatus.DECLINED,
        answered_at=NOW - timedelta(hours=20),
    )
    f.MatchFactory(
        child=child("C-DECLINED-BEFORE"),
        status=MatchStatus.DECLINED,
        answered_at=NOW - timedelta(days=2),
    )
    f.UserFactory(email="ana@coord.example", role=Role.COORDINATOR)
    f.UserFactory(email="ben@coord.example", role=Role.COORDINATOR)
    f.UserFactory(email="gone@coord.example", role=Role.COORDINATOR, active=False)
    f.UserFactory(email="lead@coord.example", role=Role.PROGRAM_LEAD)
    factories.commit()
    return {
        "urgent": [new_detained.id, became_urgent.id],
        "turned_down": [declined.child_id, expired.child_id],
    }


def test_the_figures_count_who_became_urgent_and_which_offers_were_turned_down(
    factories, happenings
):
    figures = digest_figures(factories, AS_OF, SINCE, NOW)

    assert list(figures.newly_urgent_child_ids) == happenings["urgent"]  # T1 before T2
    assert (figures.expired, figures.declined) == (1, 1)
    assert list(figures.turned_down_child_ids) == happenings["turned_down"]


def test_the_digest_goes_to_each_active_coordinator_with_counts_and_links_only(
    factories, happenings
):
    queued = queue_coordinator_digest(
        factories, as_of=AS_OF, since=SINCE, until=NOW, base_url=BASE + "/"
    )
    factories.commit()

    messages = factories.scalars(select(OutboxMessage).order_by(OutboxMessage.to_address)).all()
    assert queued == 2
    assert [m.to_address for m in messages] == ["ana@coord.example", "ben@coord.example"]
    assert {m.kind for m in messages} == {DIGEST_KIND}
    message = messages[0]
    assert message.subject == "Counsel Match: 2 newly urgent, 2 offers turned down"
    body = message.body
    assert "2 children without counsel became urgent" in body
    assert f"{BASE}/children/unmatched" in body and f"{BASE}/review" in body
    for child_id in happenings["urgent"] + happenings["turned_down"]:
        assert f"{BASE}/children/{child_id}\n" in body + "\n"
    assert "1 offer expired unanswered and 1 was declined" in body
    # Nothing that identifies a child: no name, A-number or birth date, in any format.
    for c in factories.scalars(select(Child)):
        for secret in (
            c.first_name,
            c.last_name,
            c.a_number,
            c.birth_date.isoformat(),
            f"{c.birth_date.month}/{c.birth_date.day}/{c.birth_date.year}",
            c.external_id,
        ):
            assert secret not in body and secret not in message.subject


def test_no_digest_when_nothing_happened(factories):
    child("C-LATER", next_hearing_date=AS_OF + timedelta(days=60))
    child("C-ALREADY-T1", next_hearing_date=AS_OF + timedelta(days=10))
    f.UserFactory(email="ana@coord.example", role=Role.COORDINATOR)
    factories.commit()

    queued = queue_coordinator_digest(factories, as_of=AS_OF, since=SINCE, until=NOW, base_url=BASE)

    assert queued == 0
    assert factories.scalars(select(OutboxMessage)).all() == []


def test_the_job_queues_the_digest_in_its_own_transaction(db, factories, happenings):
    put_setting(factories, PUBLIC_BASE_URL_KEY, BASE)
    factories.commit()
    assert coordinator_digest(db, "America/New_York", now=NOW) == 2

    with db.session() as session:
        bodies = session.scalars(select(OutboxMessage.body)).all()
    assert len(bodies) == 2 and all("daily summary for 2026-03-10" in b for b in bodies)
    assert all(f"{BASE}/children/unmatched" in b for b in bodies)  # the links use the setting


def test_the_clock_sends_the_digest_daily_with_safe_settings(db):
    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(DIGEST_JOB)
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.args == (db, "America/New_York")
        fire = job.trigger.get_next_fire_time(None, datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
        assert (fire.hour, fire.minute) == (7, 0)
        assert str(fire.tzinfo) == "America/New_York"
    finally:
        scheduler.shutdown(wait=False)
