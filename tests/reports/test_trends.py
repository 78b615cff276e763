"""The trends report on daily snapshots: written by hand (numbers checked by hand) and taken by
models.snapshots on a factory-built program; filters, small cells, too few snapshots, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import Child, MatchStatus, Role
from models.snapshots import DAILY_COUNTS, take_daily_snapshot
from reports.filters import ReportFilters
from reports.gap import NEEDING, REPRESENTED, SHARE, WITHOUT
from reports.trends import CHANGE, DAY, NO_CASE_TYPE, URGENT_WITHOUT, trends_report
from tests.conftest import TODAY
from tests.web.conftest import AuthActions

FIRST, SECOND, THIRD = date(2026, 9, 1), date(2026, 9, 15), date(2026, 10, 1)


def row(court, language, tier, with_counsel, without_counsel):
    return {
        "court": court,
        "language": language,
        "tier": tier,
        "with_counsel": with_counsel,
        "without_counsel": without_counsel,
    }


def snapshot(day, rows, taken_at=None):
    return f.ReportSnapshotFactory(
        kind=DAILY_COUNTS,
        data={"as_of": day.isoformat(), "rows": rows},
        taken_at=taken_at or datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
    )


@pytest.fixture
def snapshots(factories):
    """Three days of counts (with counsel / without), the second day taken twice:

              HOU spa T1  HOU spa T3  NYC mam T2  NYC spa T4
    1 Sep     2 / 6       10 / 12     0 / 3       5 / 5
    15 Sep    3 / 4       14 / 9      1 / 2       6 / 5     (the later of two)
    1 Oct     5 / 2       16 / 7      -           8 / 4
    """
    snapshot(
        FIRST,
        [row("HOU", "spa", 1, 2, 6), row("HOU", "spa", 3, 10, 12)]
        + [row("NYC", "mam", 2, 0, 3), row("NYC", "spa", 4, 5, 5)],
    )
    # The day's later snapshot is written first: the time it was taken decides, not the id.
    later = [row("HOU", "spa", 1, 3, 4), row("HOU", "spa", 3, 14, 9)]
    later += [row("NYC", "mam", 2, 1, 2), row("NYC", "spa", 4, 6, 5)]
    snapshot(SECOND, later, taken_at=datetime(2026, 9, 15, 18, tzinfo=UTC))
    snapshot(SECOND, [row("HOU", "spa", 1, 90, 90)], taken_at=datetime(2026, 9, 15, 2, tzinfo=UTC))
    snapshot(
        THIRD,
        [row("HOU", "spa", 1, 5, 2), row("HOU", "spa", 3, 16, 7), row("NYC", "spa", 4, 8, 4)],
    )
    f.ReportSnapshotFactory(kind="demand", data={"run_id": 1, "groups": []})  # another kind
    factories.commit()
    return factories


def _overall(report, shown=True):
    table = report.table("overall")
    frame = table.shown() if shown else table.numbers
    return {r[DAY]: r for r in frame.to_dict("records")}


def _courts(report):
    return {r["court"]: r for r in report.table("by-court").shown().to_dict("records")}


def test_overall_by_snapshot_date(snapshots):
    report = trends_report(snapshots, ReportFilters(), TODAY)
    overall = _overall(report)
    assert list(overall) == ["2026-09-01", "2026-09-15", "2026-10-01"]
    first, second, third = overall.values()
    assert (first[NEEDING], first[REPRESENTED], first[WITHOUT]) == (43, 17, 26)
    assert (first[URGENT_WITHOUT], first[SHARE]) == (9, "39.5%")
    # the day's latest snapshot, not the one with 90 children
    assert (second[NEEDING], second[REPRESENTED], second[URGENT_WITHOUT]) == (44, 24, 6)
    assert second[SHARE] == "54.5%"
    assert (third[NEEDING], third[REPRESENTED], third[WITHOUT], third[SHARE]) == (
        42,
        29,
        13,
        "69.0%",
    )
    assert third[URGENT_WITHOUT] == "<5"  # 2
    assert _overall(report, shown=False)["2026-10-01"][URGENT_WITHOUT] == 2
    chart = report.table("overall").chart
    assert chart.kind == "lines" and chart.values == (REPRESENTED, WITHOUT)


def test_by_court_first_against_latest(snapshots):
    report = trends_report(snapshots, ReportFilters(), TODAY)
    table = report.table("by-court")
    assert table.title == "By court: 2026-09-01 against 2026-10-01"
    courts = _courts(report)
    assert list(courts) == ["HOU", "NYC"]  # most without counsel at the latest first
    houston = courts["HOU"]
    assert (houston["needing counsel at first"], houston["represented at first"]) == (30, 12)
    assert houston["share represented at first"] == "40.0%"
    assert (houston["needing counsel at latest"], houston["without counsel at latest"]) == (30, 9)
    assert houston["share represented at latest"] == "70.0%"
    assert houston[CHANGE] == 30.0
    new_york = courts["NYC"]
    assert new_york["share represented at first"] == "38.5%"  # 5 of 13
    # 8 with and 4 without at the latest: the 4 hides the 8, the share and the change
    assert new_york["needing counsel at latest"] == 12
    assert new_york["without counsel at latest"] == "<5"
    assert new_york["represented at latest"] == "hidden"
    assert new_york["share represented at latest"] == "hidden" and new_york[CHANGE] == "hidden"


def test_figures_compare_the_latest_day_with_the_first(snapshots):
    figures = {fig.label: fig for fig in trends_report(snapshots, ReportFilters(), TODAY).figures}
    share = figures["share represented on 2026-10-01"]
    assert share.value == "69.0%" and share.note.startswith("39.5% on 2026-09-01")
    assert figures["change in share represented"].value == "+29.5 points"  # 29/42 - 17/43
    urgent = figures[f"{URGENT_WITHOUT} on 2026-10-01"]
    assert (urgent.value, urgent.note) == ("<5", "9 on 2026-09-01")


def test_filters_narrow_the_rows_and_the_days(snapshots):
    houston = _overall(trends_report(snapshots, ReportFilters(court="HOU"), TODAY))
    assert houston["2026-09-01"][NEEDING] == 30 and houston["2026-09-01"][URGENT_WITHOUT] == 6
    new_york = trends_report(snapshots, ReportFilters(state="NY"), TODAY)
    assert _overall(new_york)["2026-09-01"][NEEDING] == 13
    assert list(_courts(new_york)) == ["NYC"]
    mam = _overall(trends_report(snapshots, ReportFilters(language="mam"), TODAY))
    assert (mam["2026-09-01"][NEEDING], mam["2026-09-01"][REPRESENTED]) == ("<5", "hidden")
    assert mam["2026-10-01"][NEEDING] == 0  # no Mam speaker needed counsel that day
    later = trends_report(snapshots, ReportFilters(date_from=date(2026, 9, 10)), TODAY)
    assert list(_overall(later)) == ["2026-09-15", "2026-10-01"]
    assert _courts(later)["HOU"]["share represented at first"] == "56.7%"  # 17 of 30
    inclusive = trends_report(snapshots, ReportFilters(date_to=date(2026, 9, 15)), TODAY)
    assert list(_overall(inclusive)) == ["2026-09-01", "2026-09-15"]


def test_a_case_type_filter_cannot_apply_and_says_so(snapshots):
    plain = trends_report(snapshots, ReportFilters(), TODAY)
    sijs = trends_report(snapshots, ReportFilters(case_type=CaseType.SIJS), TODAY)
    assert NO_CASE_TYPE in sijs.notes and NO_CASE_TYPE not in plain.notes
    assert sijs.table("overall").csv() == plain.table("overall").csv()


def test_no_children_under_these_filters(snapshots):
    report = trends_report(snapshots, ReportFilters(court="LOS"), TODAY)
    assert report.empty and report.empty_message == (
        "No child needed counsel under these filters on any of the 3 daily snapshots in range."
    )


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            ReportFilters(date_from=date(2026, 9, 20)),
            "A trend needs at least two daily snapshots, and 1 of the 3 taken so far falls in "
            "this date range (the clock process takes one a day).",
        ),
        (
            ReportFilters(date_to=date(2026, 8, 31)),
            "A trend needs at least two daily snapshots, and none of the 3 taken so far falls "
            "in this date range (the clock process takes one a day).",
        ),
    ],
)
def test_too_few_snapshots_in_the_range(snapshots, filters, message):
    report = trends_report(snapshots, filters, TODAY)
    assert report.empty and report.empty_message == message


def test_too_few_snapshots_taken(factories):
    message = trends_report(factories, ReportFilters(), TODAY).empty_message
    assert message == (
        "A trend needs at least two daily snapshots, and none has been taken yet "
        "(the clock process takes one a day)."
    )
    snapshot(FIRST, [row("HOU", "spa", 3, 10, 10)])
    snapshot(FIRST, [row("HOU", "spa", 3, 11, 10)], taken_at=datetime(2026, 9, 1, 9, tzinfo=UTC))
    factories.commit()
    message = trends_report(factories, ReportFilters(), TODAY).empty_message
    assert message == (  # two snapshots on one day are one day
        "A trend needs at least two daily snapshots, and 1 has been taken so far "
        "(the clock process takes one a day)."
    )


def test_snapshots_taken_on_a_program_make_its_trend(factories):
    """Ten children, five represented; then five more children, all represented."""
    lawyer = f.AttorneyFactory(capacity=20)
    for n in range(10):
        child = f.ChildFactory()
        if n < 5:
            f.MatchFactory(child=child, attorney=lawyer, status=MatchStatus.ACCEPTED)
    f.MatchFactory(attorney=lawyer, status=MatchStatus.PROPOSED)  # an eleventh, not represented
    take_daily_snapshot(factories, TODAY - timedelta(days=1))
    for _ in range(5):
        f.MatchFactory(attorney=lawyer, status=MatchStatus.ACCEPTED)
    take_daily_snapshot(factories, TODAY)
    factories.commit()
    report = trends_report(factories, ReportFilters(), TODAY)
    overall = _overall(report)
    yesterday, today = overall[(TODAY - timedelta(days=1)).isoformat()], overall[TODAY.isoformat()]
    assert (yesterday[NEEDING], yesterday[REPRESENTED], yesterday[SHARE]) == (11, 5, "45.5%")
    assert (today[NEEDING], today[REPRESENTED], today[WITHOUT], today[SHARE]) == (
        16,
        10,
        6,
        "62.5%",
    )
    assert _courts(report)["HOU"][CHANGE] == 17.0  # 62.5% less 45.5%


def test_csv_is_the_shown_table_and_names_no_child(snapshots):
    f.ChildFactory()
    snapshots.commit()
    take_daily_snapshot(snapshots, date(2026, 10, 2))
    snapshots.commit()
    report = trends_report(snapshots, ReportFilters(), TODAY)
    children = snapshots.scalars(select(Child)).all()
    private = {c.a_number for c in children} | {f"{c.first_name} {c.last_name}" for c in children}
    assert len(report.tables) == 2
    for table in report.tables:
        text = table.csv()
        rows = list(csv.reader(io.StringIO(text)))
        shown = table.shown()
        assert rows[0] == list(shown.columns)
        assert rows[1:] == [[str(v) for v in r] for r in shown.itertuples(index=False)]
        assert not any(secret in text for secret in private)


def test_a_lead_reads_the_page_its_csv_and_chart(snapshots, client):
    lead = f.UserFactory(role=Role.PROGRAM_LEAD, email="lead@example.org")
    snapshots.commit()
    assert AuthActions(client).login(lead.email).status_code == 302
    page = client.get("/reports/trends")
    assert page.status_code == 200
    assert "Is the gap closing, overall and court by court?" in page.get_data(as_text=True)
    expected = trends_report(snapshots, ReportFilters(), TODAY).table("overall").csv()
    download = client.get("/reports/trends/overall.csv")
    assert download.status_code == 200
    assert download.get_data(as_text=True).removeprefix("\ufeff") == expected
    for key in ("overall", "by-court"):
        chart = client.get(f"/reports/trends/{key}.svg")
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    few = client.get("/reports/trends", query_string={"date_from": "2026-09-20"})
    assert few.status_code == 200 and "at least two daily snapshots" in few.get_data(as_text=True)
