"""The pipeline report on factory-built histories: days from intake, fates, reasons, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fixtures import factories as f
from models.entities import MatchStatus
from reports.filters import ReportFilters
from reports.pipeline import pipeline_report
from tests.conftest import TODAY

SEPTEMBER = date(2026, 9, 10)
PRIVATE_NOTE = "the sponsor Rosalinda Quispe called twice"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 15, 30, tzinfo=UTC)


@pytest.fixture
def history(factories):
    """Six children taken in on 10 September, one on 3 October.

    proposal after (days)  1  2  4  10  3  -
    offered after             5  6  11
    answered                  accepted on day 10 and day 20; declined on day 15
    """
    kids = [f.ChildFactory(intake_date=SEPTEMBER) for _ in range(6)]
    f.ChildFactory(intake_date=date(2026, 10, 3), court_code="NYC")
    lawyer = f.AttorneyFactory(capacity=9)

    def match(child, status, created, offered=None, answered=None, reason=None):
        return f.MatchFactory(
            child=child,
            attorney=lawyer,
            status=status,
            created_at=created,
            offered_at=offered,
            answered_at=answered,
            reason=reason,
        )

    match(
        kids[0],
        MatchStatus.REJECTED,
        at(9, 11),
        reason=f"Language not a real match: {PRIVATE_NOTE}",
    )
    match(kids[1], MatchStatus.ACCEPTED, at(9, 12), at(9, 15), at(9, 20))
    match(kids[2], MatchStatus.CLOSED, at(9, 14), at(9, 16), at(9, 30))
    match(
        kids[3],
        MatchStatus.DECLINED,
        at(9, 20),
        at(9, 21),
        at(9, 25),
        reason=f"Outside my expertise: {PRIVATE_NOTE}",
    )
    match(kids[4], MatchStatus.SUPERSEDED, at(9, 13))
    match(kids[4], MatchStatus.PROPOSED, at(9, 14))
    factories.commit()
    return factories


def test_days_from_intake_by_month(history):
    report = pipeline_report(history, ReportFilters(), TODAY)
    by_month = report.table("by-month").numbers.set_index("intake month")
    september = by_month.loc["2026-09"]
    assert september["children taken in"] == 6
    assert september["proposed"] == 5
    assert september["median days to first proposal"] == 3  # of 1, 2, 3, 4, 10
    assert september["90th percentile days to first proposal"] == 10
    assert september["offered"] == 3
    assert september["median days to confirmation"] == 6  # of 5, 6, 11
    assert september["90th percentile days to confirmation"] == 11
    assert september["accepted"] == 2
    assert by_month.loc["2026-10", "children taken in"] == 1
    assert by_month.loc["2026-10", "proposed"] == 0


def test_fates_of_proposals_and_offers_and_the_rejection_reasons(history):
    report = pipeline_report(history, ReportFilters(), TODAY)
    proposals = report.table("proposals").numbers.set_index("proposal")["count"].to_dict()
    assert proposals == {
        "confirmed": 3,
        "rejected": 1,
        "replaced by a later run": 1,
        "awaiting review": 1,
    }
    offers = report.table("offers").numbers.set_index("offer")["count"].to_dict()
    assert (offers["accepted"], offers["declined"], offers["expired"]) == (2, 1, 0)
    reasons = report.table("rejection-reasons").numbers
    assert reasons.to_dict("records") == [
        {"reason": "Language not a real match", "rejections": 1, "share": "100.0%"}
    ]
    declines = report.table("decline-reasons").numbers
    assert declines.to_dict("records") == [
        {"reason": "Outside my expertise", "declines": 1, "share": "100.0%"}
    ]


def test_small_groups_hide_their_days_and_shares(history):
    report = pipeline_report(history, ReportFilters(), TODAY)
    september = report.table("by-month").shown().set_index("intake month").loc["2026-09"]
    assert september["proposed"] == 5 and september["median days to first proposal"] == 3
    assert september["offered"] == "<5"
    assert september["median days to confirmation"] == "hidden"
    assert september["90th percentile days to acceptance"] == "hidden"
    shown = report.table("proposals").shown().set_index("proposal")
    assert shown.loc["confirmed", "count"] == "<5" and shown.loc["confirmed", "share"] == "hidden"


def test_free_text_of_rejections_and_declines_never_shows(history):
    report = pipeline_report(history, ReportFilters(), TODAY)
    for table in report.tables:
        assert "Quispe" not in table.csv()
    assert all("Quispe" not in figure.value for figure in report.figures)


def test_filters_narrow_the_children_and_their_matches(history):
    october = pipeline_report(history, ReportFilters(date_from=date(2026, 10, 1)), TODAY)
    assert list(october.table("by-month").numbers["intake month"]) == ["2026-10"]
    assert october.table("proposals").empty
    new_york = pipeline_report(history, ReportFilters(court="NYC"), TODAY)
    assert new_york.table("by-month").numbers["children taken in"].tolist() == [1]
    nobody = pipeline_report(history, ReportFilters(state="CA"), TODAY)
    assert nobody.empty and nobody.empty_message == "No child was taken in under these filters."


def test_an_empty_program_says_so(session):
    report = pipeline_report(session, ReportFilters(), TODAY)
    assert report.empty_message == "No child was taken in yet."


def test_days_count_by_the_utc_day_and_never_below_zero(factories):
    """A proposal before intake (a record entered late) counts as 0 days; one at 23:59 UTC
    counts on its day, one a minute after midnight on the next."""
    lawyer = f.AttorneyFactory(capacity=9)
    moments = [
        datetime(2026, 9, 8, 12, 0, tzinfo=UTC),
        datetime(2026, 9, 10, 23, 59, tzinfo=UTC),
        datetime(2026, 9, 11, 0, 1, tzinfo=UTC),
        datetime(2026, 9, 11, 23, 0, tzinfo=UTC),
        datetime(2026, 9, 13, 8, 0, tzinfo=UTC),
    ]
    for moment in moments:
        child = f.ChildFactory(intake_date=SEPTEMBER)
        f.MatchFactory(child=child, attorney=lawyer, created_at=moment)
    factories.commit()
    september = pipeline_report(factories, ReportFilters(), TODAY).table("by-month").numbers
    row = september.set_index("intake month").loc["2026-09"]
    assert row["proposed"] == 5
    assert row["median days to first proposal"] == 1  # of 0, 0, 1, 1, 3
    assert row["90th percentile days to first proposal"] == 3
