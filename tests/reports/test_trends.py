"""The trends report on snapshots taken on chosen days: counts, shares and changes by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import CaseStatus, MatchStatus, ReportSnapshot
from models.snapshots import DAILY_COUNTS, take_daily_snapshot
from reports.filters import ReportFilters
from reports.trends import trends_report
from tests.conftest import TODAY

DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)


def snapshot(day, rows):
    return ReportSnapshot(kind=DAILY_COUNTS, data={"as_of": day.isoformat(), "rows": rows})


def row(court, tier, with_counsel, without, language="spa"):
    return {
        "court": court,
        "language": language,
        "tier": tier,
        "with_counsel": with_counsel,
        "without_counsel": without,
    }


@pytest.fixture
def history(factories):
    """Houston: 10 of 30 represented on day 1, 15 of 30 on day 2 (a same-day retake counts);
    New York: 2 of 5 then 3 of 5."""
    factories.add_all(
        [
            snapshot(DAY1, [row("HOU", 1, 0, 10), row("HOU", 3, 10, 10), row("NYC", 4, 2, 3)]),
            snapshot(DAY2, [row("HOU", 1, 0, 1), row("NYC", 4, 1, 1)]),  # replaced below
            snapshot(
                DAY2,
                [row("HOU", 1, 5, 6), row("HOU", 3, 10, 9, "mam"), row("NYC", 4, 3, 2)],
            ),
        ]
    )
    factories.commit()
    return factories


def test_overall_day_by_day(history):
    report = trends_report(history, ReportFilters(), TODAY)
    overall = report.table("overall").shown().set_index("day")
    assert overall.loc["2026-11-01"].to_dict() == {
        "children needing counsel": 35,
        "with counsel": 12,
        "without counsel": 23,
        "urgent (T1, T2) without counsel": 10,
        "share represented": "34.3%",
    }
    assert overall.loc["2026-11-02", "with counsel"] == 18
    assert overall.loc["2026-11-02", "urgent (T1, T2) without counsel"] == 6
    figures = {figure.label: (figure.value, figure.note) for figure in report.figures}
    value, note = figures["share represented, 2026-11-02"]
    assert value == "51.4%" and note == "+17.1 points since 2026-11-01: the gap is closing"


def test_by_court_first_and_latest_day(history):
    by_court = trends_report(history, ReportFilters(), TODAY).table("by-court").shown()
    houston = by_court[by_court["court"].str.endswith("(HOU)")].iloc[0]
    assert houston["share represented, first day"] == "33.3%"
    assert houston["share represented, latest day"] == "50.0%"
    assert houston["change, points"] == pytest.approx(16.7)
    new_york = by_court[by_court["court"].str.endswith("(NYC)")].iloc[0]
    assert new_york["with counsel, first day"] == "<5"
    assert new_york["share represented, first day"] == "hidden"
    assert new_york["change, points"] == "hidden"


def test_filters_and_too_little_history(history):
    mam = trends_report(history, ReportFilters(language="mam"), TODAY)
    assert "on at least 2 days; there is 1" in mam.empty_message
    texas = trends_report(history, ReportFilters(state="TX"), TODAY)
    assert texas.table("overall").numbers["children needing counsel"].tolist() == [30, 30]
    one_day = trends_report(history, ReportFilters(date_from=DAY2), TODAY)
    assert "in this range; there is 1" in one_day.empty_message
    typed = trends_report(history, ReportFilters(case_type=CaseType.SIJS), TODAY)
    assert typed.notes[0] == "The case type filter is left out: snapshots keep no case type."


def test_no_snapshot_yet(session):
    report = trends_report(session, ReportFilters(), TODAY)
    assert report.empty and "there are 0" in report.empty_message


def test_real_snapshots_follow_representation(factories):
    children = [f.ChildFactory() for _ in range(6)]
    factories.commit()
    take_daily_snapshot(factories, TODAY - timedelta(days=1))
    for child in children[:5]:
        f.MatchFactory(child=child, status=MatchStatus.ACCEPTED)
    children[5].case_status = CaseStatus.OPEN
    factories.commit()
    take_daily_snapshot(factories, TODAY)
    factories.commit()
    overall = trends_report(factories, ReportFilters(), TODAY).table("overall").numbers
    assert overall["with counsel"].tolist() == [0, 5]
    assert overall["without counsel"].tolist() == [6, 1]
