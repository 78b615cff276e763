"""The outcomes report on factory-built closed cases: counts, shares and the rate allowed to
stay by hand, filters, small cells, empty states, and the page and CSV a lead gets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import CaseOutcome, Child, MatchStatus, Role
from models.offers import OUTCOME_LABELS
from reports.filters import ReportFilters
from reports.outcomes import CLOSED, STAYED_LABEL, outcomes_report
from reports.reference import STAY_SOURCE
from tests.conftest import TODAY
from tests.web.conftest import AuthActions

RELIEF = OUTCOME_LABELS[CaseOutcome.RELIEF_GRANTED]
TERMINATED = OUTCOME_LABELS[CaseOutcome.TERMINATED]
REMOVAL = OUTCOME_LABELS[CaseOutcome.REMOVAL_ORDERED]
TRANSFERRED = OUTCOME_LABELS[CaseOutcome.TRANSFERRED]


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 15, 30, tzinfo=UTC)


@pytest.fixture
def closed(factories):
    """22 closed cases, and cases that do not count (accepted, never closed):

    court  language  case type  outcome            closed on  cases
    HOU    spa       asylum     relief granted     15 Sep     6
    HOU    spa       asylum     removal ordered    10 Oct     5
    HOU    spa       asylum     transferred         2 Nov     1
    HOU    spa       sijs       terminated         20 Oct     5
    NYC    mam       asylum     relief granted      5 Nov     5
    """
    lawyer = f.AttorneyFactory(capacity=30)

    def cases(n, outcome, when, **child):
        for _ in range(n):
            f.MatchFactory(
                child=f.ChildFactory(**child),
                attorney=lawyer,
                status=MatchStatus.CLOSED,
                outcome=outcome,
                offered_at=at(8, 1),
                answered_at=at(8, 2),
                closed_at=when,
            )

    cases(6, CaseOutcome.RELIEF_GRANTED, at(9, 15))
    cases(5, CaseOutcome.REMOVAL_ORDERED, at(10, 10))
    cases(1, CaseOutcome.TRANSFERRED, at(11, 2))
    cases(5, CaseOutcome.TERMINATED, at(10, 20), case_type=CaseType.SIJS)
    cases(5, CaseOutcome.RELIEF_GRANTED, at(11, 5), court_code="NYC", language_code="mam")
    for _ in range(3):  # accepted and still open: not an outcome
        f.MatchFactory(attorney=lawyer, status=MatchStatus.ACCEPTED, answered_at=at(9, 1))
    factories.commit()
    return factories


def _by_outcome(report, shown=True):
    table = report.table("by-outcome")
    frame = table.shown() if shown else table.numbers
    return {row["outcome"]: row for row in frame.to_dict("records")}


def _figures(report):
    return {figure.label: figure for figure in report.figures}


def test_closed_cases_by_outcome_with_their_shares(closed):
    report = outcomes_report(closed, ReportFilters(), TODAY)
    numbers = _by_outcome(report, shown=False)
    assert list(numbers) == [OUTCOME_LABELS[o] for o in CaseOutcome]
    assert {label: row[CLOSED] for label, row in numbers.items()} == {
        RELIEF: 11,
        TERMINATED: 5,
        OUTCOME_LABELS[CaseOutcome.VOLUNTARY_DEPARTURE]: 0,
        REMOVAL: 5,
        TRANSFERRED: 1,
        OUTCOME_LABELS[CaseOutcome.WITHDRAWN]: 0,
    }
    shown = _by_outcome(report)
    assert (shown[RELIEF][CLOSED], shown[RELIEF]["share"]) == (11, "50.0%")  # of 22
    assert (shown[TERMINATED][CLOSED], shown[TERMINATED]["share"]) == (5, "22.7%")
    assert (shown[TRANSFERRED][CLOSED], shown[TRANSFERRED]["share"]) == ("<5", "hidden")


def test_the_share_allowed_to_stay_against_the_national_figures(closed):
    figures = _figures(outcomes_report(closed, ReportFilters(), TODAY))
    assert figures[CLOSED].value == "22"
    stayed = figures[STAYED_LABEL]
    assert stayed.value == "76.2%"  # 16 of the 21 a court decided (the transfer left out)
    assert stayed.note.startswith("of 21 closed cases a court decided")
    assert STAY_SOURCE in stayed.note and "73%" in stayed.note and "15%" in stayed.note


def test_outcomes_by_court_hide_a_row_whose_outcome_is_under_5(closed):
    table = outcomes_report(closed, ReportFilters(), TODAY).table("by-court")
    rows = {row["court"]: row for row in table.shown().to_dict("records")}
    assert list(rows) == ["HOU", "NYC"]  # most closed cases first
    houston = rows["HOU"]
    assert houston[CLOSED] == 17 and houston["transferred"] == "<5"
    # 17 less the other outcomes would give the transfer away: they are hidden too
    assert {houston[o] for o in ("relief granted", "terminated", "removal ordered")} == {"hidden"}
    new_york = rows["NYC"]
    assert (new_york[CLOSED], new_york["relief granted"], new_york["removal ordered"]) == (5, 5, 0)
    raw = table.numbers.set_index("court")
    assert raw.loc["HOU", "relief granted"] == 6 and raw.loc["HOU", "removal ordered"] == 5


def test_outcomes_by_case_type(closed):
    table = outcomes_report(closed, ReportFilters(), TODAY).table("by-case-type")
    rows = {row["case type"]: row for row in table.shown().to_dict("records")}
    assert list(rows) == ["asylum", "sijs"]
    assert rows["asylum"][CLOSED] == 17 and rows["asylum"]["relief granted"] == "hidden"
    assert (rows["sijs"][CLOSED], rows["sijs"]["terminated"]) == (5, 5)
    assert table.numbers.set_index("case type").loc["asylum", "relief granted"] == 11


@pytest.mark.parametrize(
    ("filters", "closed_cases", "stayed"),
    [
        (ReportFilters(court="NYC"), 5, "100.0%"),
        (ReportFilters(state="TX"), 17, "68.8%"),  # 11 of 16 decided
        (ReportFilters(language="mam"), 5, "100.0%"),
        (ReportFilters(case_type=CaseType.SIJS), 5, "100.0%"),
        # the range is on the day closed, its last day included
        (ReportFilters(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31)), 10, "50.0%"),
        (ReportFilters(date_to=date(2026, 10, 10)), 11, "54.5%"),
        (ReportFilters(date_from=date(2026, 10, 11)), 11, "100.0%"),  # the transfer left out
    ],
)
def test_filters_narrow_the_closed_cases(closed, filters, closed_cases, stayed):
    report = outcomes_report(closed, filters, TODAY)
    total = sum(report.table("by-outcome").numbers[CLOSED])
    assert total == closed_cases
    assert _figures(report)[STAYED_LABEL].value == stayed


def test_a_stay_rate_whose_other_part_is_under_5_is_hidden(factories):
    lawyer = f.AttorneyFactory(capacity=9)
    for outcome in [CaseOutcome.RELIEF_GRANTED] * 6 + [CaseOutcome.REMOVAL_ORDERED] * 2:
        f.MatchFactory(
            attorney=lawyer, status=MatchStatus.CLOSED, outcome=outcome, closed_at=at(9, 1)
        )
    factories.commit()
    figures = _figures(outcomes_report(factories, ReportFilters(), TODAY))
    assert figures[CLOSED].value == "8"
    assert figures[STAYED_LABEL].value == "hidden"  # 6 of 8 would show the 2 removals


def test_csv_is_the_shown_table_and_names_no_child(closed):
    report = outcomes_report(closed, ReportFilters(), TODAY)
    children = closed.scalars(select(Child)).all()
    private = {c.a_number for c in children} | {f"{c.first_name} {c.last_name}" for c in children}
    private |= {c.birth_date.isoformat() for c in children}
    assert len(report.tables) == 3
    for table in report.tables:
        text = table.csv()
        rows = list(csv.reader(io.StringIO(text)))
        shown = table.shown()
        assert rows[0] == list(shown.columns)
        assert rows[1:] == [[str(v) for v in row] for row in shown.itertuples(index=False)]
        assert not any(secret in text for secret in private)


def test_no_case_closed(factories):
    f.MatchFactory(status=MatchStatus.ACCEPTED)
    factories.commit()
    report = outcomes_report(factories, ReportFilters(), TODAY)
    assert report.empty and report.empty_message == "No case has been closed yet."
    assert report.notes  # the definitions still show


def test_no_case_closed_under_these_filters(closed):
    report = outcomes_report(closed, ReportFilters(state="CA"), TODAY)
    assert report.empty and report.empty_message == "No case has been closed under these filters."


def test_a_lead_reads_the_page_its_csv_and_chart(closed, client):
    lead = f.UserFactory(role=Role.PROGRAM_LEAD, email="lead@example.org")
    closed.commit()
    assert AuthActions(client).login(lead.email).status_code == 302
    page = client.get("/reports/outcomes")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "What happened to the cases we placed?" in text and "76.2%" in text
    expected = outcomes_report(closed, ReportFilters(), TODAY).table("by-court").csv()
    download = client.get("/reports/outcomes/by-court.csv")
    assert download.status_code == 200
    assert download.get_data(as_text=True).removeprefix("\ufeff") == expected  # BOM for Excel
    chart = client.get("/reports/outcomes/by-outcome.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    filtered = client.get("/reports/outcomes", query_string={"state": "CA"})
    assert filtered.status_code == 200
    assert "No case has been closed under these filters." in filtered.get_data(as_text=True)
