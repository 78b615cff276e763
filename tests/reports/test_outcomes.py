"""The outcomes report on factory-built closed cases: counts and shares by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import CaseOutcome, MatchStatus
from reports.filters import ReportFilters
from reports.outcomes import outcomes_report
from tests.conftest import TODAY

R, T, V, X = (
    CaseOutcome.RELIEF_GRANTED,
    CaseOutcome.TERMINATED,
    CaseOutcome.REMOVAL_ORDERED,
    CaseOutcome.WITHDRAWN,
)


def closed(outcome, day, court="HOU", case_type=CaseType.ASYLUM):
    child = f.ChildFactory(court_code=court, case_type=case_type, first_name="Yesenia")
    return f.MatchFactory(
        child=child,
        status=MatchStatus.CLOSED,
        outcome=outcome,
        closed_at=datetime(2026, 10, day, 18, tzinfo=UTC),
    )


@pytest.fixture
def cases(factories):
    """Houston asylum: 6 relief, 2 terminated, 5 removal, 1 withdrawn (10 to 23 October);
    New York SIJS: 3 relief on 25 October. One accepted case still open."""
    for n, outcome in enumerate([R] * 6 + [T] * 2 + [V] * 5 + [X]):
        closed(outcome, 10 + n)
    for _ in range(3):
        closed(R, 25, court="NYC", case_type=CaseType.SIJS)
    f.MatchFactory(status=MatchStatus.ACCEPTED)
    factories.commit()
    return factories


def test_closed_cases_by_outcome_and_the_share_allowed_to_stay(cases):
    report = outcomes_report(cases, ReportFilters(), TODAY)
    by_outcome = report.table("by-outcome").numbers.set_index("outcome")["closed cases"]
    assert by_outcome["Relief granted (asylum, SIJS, T or U visa)"] == 9
    assert by_outcome["Proceedings dismissed or terminated"] == 2
    assert by_outcome["Removal ordered"] == 5 and by_outcome["Withdrawn"] == 1
    assert by_outcome.sum() == 17
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures["closed cases"] == "17"
    # allowed to stay: (9 + 2) of the 16 with a known outcome (the withdrawn one is left out)
    assert figures["allowed to stay"] == "69%"


def test_by_court_and_case_type_with_small_cells(cases):
    report = outcomes_report(cases, ReportFilters(), TODAY)
    courts = report.table("by-court").shown().set_index("court")
    houston = courts.loc["Houston (HOU)"]
    # 2 terminated and 1 withdrawn are under 5: the row's other outcomes and total would give
    # them away, so they are hidden too
    assert houston["terminated"] == "<5" and houston["withdrawn"] == "<5"
    assert houston["relief granted"] == "hidden" and houston["closed cases"] == "hidden"
    assert courts.loc[courts.index.str.endswith("(NYC)")].iloc[0]["closed cases"] == "<5"
    types = report.table("by-case-type").numbers.set_index("case type")
    assert types.loc["SIJS", "relief granted"] == 3
    assert report.table("by-court").csv().splitlines()[1].startswith("Houston (HOU),hidden")


def test_filters_narrow_to_the_closing_day_and_the_child(cases):
    october_20 = ReportFilters(date_from=date(2026, 10, 20), date_to=date(2026, 10, 25))
    late = outcomes_report(cases, october_20, TODAY)
    # the 20th to the 23rd (4 in Houston) and the 25th (3 in New York)
    assert late.table("by-outcome").numbers["closed cases"].sum() == 7
    sijs = outcomes_report(cases, ReportFilters(case_type=CaseType.SIJS), TODAY)
    assert sijs.table("by-outcome").numbers["closed cases"].sum() == 3
    nobody = outcomes_report(cases, ReportFilters(state="CA"), TODAY)
    assert nobody.empty_message == "No case has been closed under these filters."


def test_no_child_in_any_csv_and_an_empty_program_says_so(cases, session):
    report = outcomes_report(cases, ReportFilters(), TODAY)
    assert all("Yesenia" not in table.csv() for table in report.tables)
    assert outcomes_report(session, ReportFilters(state="WY"), TODAY).empty


def test_nothing_closed_yet(session):
    assert outcomes_report(session, ReportFilters(), TODAY).empty_message == (
        "No case has been closed yet."
    )
