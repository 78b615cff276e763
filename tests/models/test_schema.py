from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from models import Attorney, AuditEvent, Child, Court, Language, LeavePeriod
from models.base import Base


def test_migrations_match_the_models(db):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_reference_data_is_loaded(session):
    assert session.scalar(select(func.count()).select_from(Court)) == 70
    assert session.scalar(select(Court.name).where(Court.code == "HOU")).startswith("Houston")
    spanish = session.scalar(select(Language).where(Language.code == "spa"))
    mam = session.scalar(select(Language).where(Language.code == "mam"))
    assert spanish.interpreter_available and not mam.interpreter_available


def _child(session, **overrides):
    court = session.scalar(select(Court).where(Court.code == "HOU"))
    spanish = session.scalar(select(Language).where(Language.code == "spa"))
    values = dict(
        external_id="C-1",
        first_name="Ana",
        last_name="Lopez",
        a_number="123456789",
        birth_date=date(2010, 5, 1),
        sex="F",
        country_of_origin="Guatemala",
        primary_language=spanish,
        court=court,
        case_type="asylum",
        intake_date=date(2026, 1, 5),
    )
    values.update(overrides)
    return Child(**values)


@pytest.mark.parametrize("a_number", ["12345678", "1234567890", "12345678x", "A12345678"])
def test_a_number_must_be_nine_digits(session, a_number):
    session.add(_child(session, a_number=a_number))
    with pytest.raises(IntegrityError):
        session.flush()


def test_external_ids_are_unique(session):
    session.add(_child(session))
    session.add(_child(session, a_number="987654321"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_case_type_is_enumerated(session):
    session.add(_child(session, case_type="deportation"))
    with pytest.raises(StatementError):
        session.flush()


@pytest.mark.parametrize(
    "overrides",
    [
        {"capacity": -1},
        {"imported_active_cases": -2},
        {"travel_radius_km": -5},
        {"home_latitude": 30.0},
    ],
)
def test_attorney_constraints(session, overrides):
    values = dict(external_id="A-1", name="R. Diaz", email="rd@example.org", capacity=2)
    values.update(overrides)
    session.add(Attorney(**values))
    with pytest.raises(IntegrityError):
        session.flush()


def test_leave_must_end_after_it_starts(session):
    attorney = Attorney(external_id="A-1", name="R. Diaz", email="rd@example.org")
    attorney.leave_periods.append(
        LeavePeriod(start_date=date(2026, 3, 2), end_date=date(2026, 3, 1))
    )
    session.add(attorney)
    with pytest.raises(IntegrityError):
        session.flush()


def test_timestamps_are_utc_aware(session):
    local = datetime(2026, 3, 8, 3, 30, tzinfo=timezone(timedelta(hours=-5)))
    session.add(AuditEvent(actor="cli", action="test", entity_type="x", at=local))
    session.commit()
    session.expire_all()
    stored = session.scalar(select(AuditEvent.at))
    assert stored == local and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0) and stored.astimezone(UTC).hour == 8


def test_naive_timestamps_are_refused(session):
    session.add(AuditEvent(actor="cli", action="test", entity_type="x", at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="timezone aware"):
        session.flush()
