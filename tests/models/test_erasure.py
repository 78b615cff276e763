"""Erasure (models/erasure.py) on both backends: a closed case's personal data leave every table,
the reports count the same, the audit trail records it without them, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fixtures import factories as f
from models.csv_formats import COLUMNS, CsvKind
from models.entities import AuditEvent, CaseStatus, Match, MatchEvent, MatchStatus, Role
from models.erasure import (
    ErasureRefused,
    children_due,
    erase_child,
    erase_closed_before,
    retention_cutoff,
)
from models.exports import child_rows
from models.imports import ImportFailed, import_csv
from models.offers import OUTCOME_LABELS
from models.settings import RETENTION_YEARS_KEY, put_setting
from reports.catalogue import CATALOGUE
from reports.children import age_band_expression
from reports.filters import ReportFilters
from tests.conftest import TODAY
from tests.models.erasure_story import BIRTH, child_row, closed_story, step, traces


def all_reports(session) -> dict[str, object]:
    """Every report's tables and figures, as plain values to compare."""
    session.expire_all()
    shown = {}
    for key, entry in CATALOGUE.items():
        report = entry.build(session, ReportFilters(), TODAY)
        shown[key] = (
            [(t.key, t.numbers.to_dict("records")) for t in report.tables],
            [(fig.label, fig.value) for fig in report.figures],
        )
    session.rollback()
    return shown


def test_erasing_a_closed_case_leaves_no_trace_and_the_reports_unchanged(factories):
    story = closed_story(factories)
    # Open children beside it, so the gap report has something to count.
    for _ in range(6):
        f.ChildFactory()
    factories.commit()
    assert {needle for _, _, needle in traces(factories)} >= {"Yolanda", "Quispe", "412345678"}
    before = all_reports(factories)

    step(factories, erase_child, story.child_id, story.coordinator, "child_request", "By phone")

    factories.expire_all()
    assert traces(factories) == []
    assert all_reports(factories) == before
    child = child_row(factories, story.child_id)
    assert (child.first_name, child.last_name, child.a_number, child.birth_date) == (
        "",
        "",
        None,
        None,
    )
    assert child.birth_year == BIRTH.year and child.erased_at is not None
    assert child.case_status == CaseStatus.CLOSED and child.external_id == "C-ERASE-1"


def test_erasure_keeps_the_labels_reports_count_and_drops_every_note(factories):
    story = closed_story(factories)
    step(factories, erase_child, story.child_id, story.coordinator, "recorded_in_error")
    factories.expire_all()
    matches = {m.id: m for m in factories.scalars(select(Match))}
    assert matches[story.match_ids["rejected"]].reason == "Other"
    assert matches[story.match_ids["declined"]].reason == "Other"
    closed = matches[story.match_ids["closed"]]
    assert closed.reason is None and closed.explanation == ""
    assert closed.status == MatchStatus.CLOSED and closed.outcome.value == "relief_granted"
    reasons = {
        (e.match_id, e.to_status): e.reason
        for e in factories.scalars(select(MatchEvent).order_by(MatchEvent.id))
    }
    assert reasons[(closed.id, MatchStatus.CLOSED)] == OUTCOME_LABELS[closed.outcome]
    assert reasons[(closed.id, MatchStatus.CONFIRMED)] == "manual match"
    assert reasons[(story.match_ids["declined"], MatchStatus.DECLINED)] == "Other"


def test_the_audit_trail_records_the_erasure_without_the_erased_data(factories):
    story = closed_story(factories)
    step(
        factories,
        erase_child,
        story.child_id,
        story.coordinator,
        "other",
        "Yolanda's guardian wrote in (A412-345-678)",
    )
    factories.expire_all()
    event = factories.scalars(select(AuditEvent).where(AuditEvent.action == "child_erased")).one()
    assert (event.actor, event.entity_type, event.entity_id) == (
        "coord@example.org",
        "child",
        str(story.child_id),
    )
    assert event.details["via"] == "request" and event.details["reason_code"] == "other"
    assert event.details["note"] == "[erased]'s guardian wrote in ([erased])"
    assert event.details["audit_events_scrubbed"] == 1  # the legacy note naming the child
    legacy = factories.scalars(select(AuditEvent).where(AuditEvent.action == "legacy_note")).one()
    assert legacy.details == {"note": "Called [erased] [erased] [erased] ([erased])"}


def test_an_open_case_or_an_erased_record_is_refused_and_nothing_changes(factories):
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    child = f.ChildFactory(first_name="Ixchel")
    factories.commit()
    with pytest.raises(ErasureRefused, match="This case is open"):
        step(factories, erase_child, child.id, coordinator, "child_request")
    assert child_row(factories, child.id).first_name == "Ixchel"
    factories.get_one(type(child), child.id).case_status = CaseStatus.CLOSED
    factories.commit()
    step(factories, erase_child, child.id, coordinator, "child_request")
    with pytest.raises(ErasureRefused, match="erased already"):
        step(factories, erase_child, child.id, coordinator, "child_request")
    with pytest.raises(LookupError):
        step(factories, erase_child, 2**31 - 1, coordinator, "child_request")


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("nope", "", "unknown erasure reason"),
        ("other", "  ", "needs a note"),
        ("child_request", "a\x00b", "NUL"),
        ("child_request", "x" * 501, "at most 500"),
    ],
)
def test_a_bad_reason_or_note_is_refused(factories, reason, note, message):
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    child = f.ChildFactory(case_status=CaseStatus.CLOSED)
    factories.commit()
    with pytest.raises(ValueError, match=message):
        step(factories, erase_child, child.id, coordinator, reason, note)
    assert child_row(factories, child.id).erased_at is None


def _closed_on(day: date, **child):
    made = f.ChildFactory(case_status=CaseStatus.CLOSED, **child)
    f.MatchFactory(
        child=made,
        status=MatchStatus.CLOSED,
        outcome="relief_granted",
        closed_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
    )
    return made


def test_retention_erases_only_cases_closed_more_than_the_set_years_ago(factories):
    put_setting(factories, RETENTION_YEARS_KEY, 3)
    cutoff = retention_cutoff(factories, TODAY)
    assert cutoff.year == TODAY.year - 3 and abs(cutoff.day - TODAY.day) <= 1
    old = _closed_on(cutoff - timedelta(days=1))
    on_the_day = _closed_on(cutoff)
    recent = _closed_on(TODAY - timedelta(days=30))
    still_open = f.ChildFactory()
    factories.commit()
    assert children_due(factories, cutoff) == [old.id]

    dry = step(factories, erase_closed_before, cutoff, "cli", dry_run=True)
    assert (dry.children, dry.matches) == (1, 1)
    assert child_row(factories, old.id).erased_at is None

    done = step(factories, erase_closed_before, cutoff, "scheduler")
    assert done.children == 1
    assert child_row(factories, old.id).erased_at is not None
    for kept in (on_the_day, recent, still_open):
        assert child_row(factories, kept.id).erased_at is None
    event = factories.scalars(select(AuditEvent).where(AuditEvent.action == "child_erased")).one()
    assert event.actor == "scheduler" and event.details["via"] == "retention"


def test_an_erased_record_keeps_its_age_band_from_the_birth_year(factories):
    as_of = date(2026, 9, 1)
    child = _closed_on(date(2020, 1, 1), birth_date=date(2012, 2, 1))
    factories.commit()
    band = age_band_expression(as_of)
    assert factories.scalar(select(band).where(type(child).id == child.id)) == "13–15"
    step(factories, erase_closed_before, date(2021, 1, 1), "scheduler")
    factories.expire_all()
    assert factories.scalar(select(band).where(type(child).id == child.id)) == "13–15"


def test_the_retention_setting_is_checked(factories):
    put_setting(factories, RETENTION_YEARS_KEY, 0)
    with pytest.raises(ValueError, match="from 1 to 50"):
        retention_cutoff(factories, TODAY)


def test_an_erased_record_never_comes_back_through_a_file_and_is_not_exported(factories):
    story = closed_story(factories)
    step(factories, erase_child, story.child_id, story.coordinator, "child_request")
    header = ",".join(COLUMNS[CsvKind.CHILDREN]) + "\n"
    row = "C-ERASE-1,Yolanda,Quispe,,2010-03-09,F,Peru,Spanish,,HOU,asylum,,false,,2026-01-05\n"
    with pytest.raises(ImportFailed, match="record was erased on"):
        step(factories, import_csv, CsvKind.CHILDREN, (header + row).encode(), actor="cli")
    assert traces(factories) == []
    assert [r["external_id"] for r in child_rows(factories)] == []
