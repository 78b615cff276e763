"""Capacity against demand on the database: a real run, then the report's numbers by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixtures import factories as f
from jobs.matching import run_match
from matcher.rules import CaseType
from models.demand import latest_demand
from reports.capacity import ELIGIBLE, FREE, FREE_AFTER, NO_RUN, capacity_report
from reports.filters import ReportFilters
from tests.conftest import TODAY


def _rows(report, table="by-court-language"):
    return {
        row["court and language"]: row for row in report.table(table).shown().to_dict("records")
    }


@pytest.fixture
def houston(db, factories):
    """Houston: 7 urgent Mam children nobody speaks for; 8 Spanish children (T3) for 3 slots."""
    for _ in range(7):
        f.ChildFactory(language_code="mam", next_hearing_date=TODAY + timedelta(days=5))
    for _ in range(8):
        f.ChildFactory(next_hearing_date=TODAY + timedelta(days=60))
    f.AttorneyFactory(capacity=2, firm="Alpha LLP")
    f.AttorneyFactory(capacity=1, firm="Beta LLP")
    factories.commit()
    run_match(db, as_of=TODAY, trigger="command")
    return db


def test_before_any_run_the_report_says_it_fills_in_after_one(session):
    report = capacity_report(session, ReportFilters(), TODAY)
    assert report.empty and report.empty_message == NO_RUN


def test_unmatched_groups_against_their_eligible_attorneys(houston):
    with houston.session() as session:
        report = capacity_report(session, ReportFilters(), TODAY)
        assert latest_demand(session).data["run_id"] == 1
    rows = _rows(report)
    mam = rows["Houston (HOU), Mam"]
    assert (mam["T1"], mam["T2"], mam["T3"], mam["T4"], mam["unmatched"]) == (7, 0, 0, 0, 7)
    assert mam["urgent unmatched"] == 7
    assert mam["main reason"] == "No attorney speaks the language"
    assert (mam[ELIGIBLE], mam[FREE], mam[FREE_AFTER]) == (0, 0, 0)
    spanish = rows["Houston (HOU), Spanish"]
    assert (spanish["T3"], spanish["unmatched"], spanish["urgent unmatched"]) == (5, 5, 0)
    assert (spanish[ELIGIBLE], spanish[FREE], spanish[FREE_AFTER]) == (2, 3, 0)
    assert list(rows) == ["Houston (HOU), Mam", "Houston (HOU), Spanish"]  # urgent first
    reasons = _rows_by(report.table("by-reason"), "reason")
    assert reasons["No attorney speaks the language"]["unmatched"] == 7
    assert sum(int(r["unmatched"]) for r in reasons.values()) == 12
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures["unmatched at the latest run"] == "12"
    assert figures["court and language groups with urgent children and no eligible attorney"] == "1"


def _rows_by(table, key):
    return {row[key]: row for row in table.shown().to_dict("records")}


def test_filters_narrow_the_groups(houston):
    with houston.session() as session:
        mam_only = capacity_report(session, ReportFilters(language="mam"), TODAY)
        new_york = capacity_report(session, ReportFilters(state="NY"), TODAY)
        sijs = capacity_report(session, ReportFilters(case_type=CaseType.SIJS), TODAY)
        asylum = capacity_report(session, ReportFilters(case_type=CaseType.ASYLUM), TODAY)
        houston_court = capacity_report(session, ReportFilters(court="HOU"), TODAY)
    assert list(_rows(mam_only)) == ["Houston (HOU), Mam"]
    assert new_york.table("by-court-language").empty
    assert sijs.table("by-court-language").empty and sijs.table("by-reason").empty
    assert _rows(asylum) == _rows(houston_court)
    assert len(_rows(houston_court)) == 2


def test_small_groups_show_as_under_five(db, factories):
    for _ in range(3):
        f.ChildFactory(language_code="mam", next_hearing_date=TODAY + timedelta(days=5))
    f.ChildFactory(language_code="mam", next_hearing_date=None)
    factories.commit()
    run_match(db, as_of=TODAY, trigger="command")
    with db.session() as session:
        report = capacity_report(session, ReportFilters(), TODAY)
    mam = _rows(report)["Houston (HOU), Mam"]
    assert (mam["T1"], mam["T4"], mam["unmatched"]) == ("<5", "<5", "<5")
    assert mam["T2"] == mam["T3"] == "hidden"
    assert "<5" in report.table("by-court-language").csv()
