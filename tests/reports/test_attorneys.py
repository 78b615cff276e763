"""The attorneys report on factory-built volunteers: load, idle, offers and answer times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import MatchStatus
from reports.attorneys import NO_FIRM, attorneys_report
from reports.filters import ReportFilters
from tests.conftest import TODAY


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def volunteers(factories):
    busy = f.AttorneyFactory(firm="Alpha LLP", capacity=3, imported_active_cases=1)
    idle = f.AttorneyFactory(firm="Alpha LLP", capacity=2)
    away = f.AttorneyFactory(
        firm="Alpha LLP",
        capacity=2,
        leave=((TODAY - timedelta(days=1), TODAY + timedelta(days=9)),),
    )
    waiting = f.AttorneyFactory(firm="Beta LLP", capacity=1, expertise_levels={"sijs": "expert"})
    f.AttorneyFactory(firm="  ", capacity=1, court_codes=("NYC",), states=("NY",))
    f.AttorneyFactory(firm="Alpha LLP", capacity=5, active=False)
    f.MatchFactory(
        attorney=busy, status=MatchStatus.ACCEPTED, offered_at=at(11, 1), answered_at=at(11, 2)
    )
    f.MatchFactory(
        attorney=idle, status=MatchStatus.DECLINED, offered_at=at(11, 5), answered_at=at(11, 5, 22)
    )
    f.MatchFactory(
        attorney=away, status=MatchStatus.EXPIRED, offered_at=at(10, 1), answered_at=at(10, 8)
    )
    f.MatchFactory(attorney=waiting, status=MatchStatus.CONFIRMED, offered_at=at(11, 20))
    f.MatchFactory(attorney=idle, status=MatchStatus.PROPOSED)  # not an offer
    factories.commit()
    return factories


def _by_firm(report, table):
    return {row["firm"]: row for row in report.table(table).shown().to_dict("records")}


def test_load_against_capacity_by_firm(volunteers):
    report = attorneys_report(volunteers, ReportFilters(), TODAY)
    load = _by_firm(report, "load-by-firm")
    assert list(load) == ["Alpha LLP", NO_FIRM, "Beta LLP"]
    alpha = load["Alpha LLP"]
    assert (alpha["attorneys"], alpha["capacity"], alpha["active cases"]) == (3, 7, 2)
    assert (alpha["offers awaiting"], alpha["free slots"], alpha["idle attorneys"]) == (0, 5, 1)
    assert alpha["load share of capacity"] == "28.6%"  # 2 of 7
    beta = load["Beta LLP"]
    assert (beta["offers awaiting"], beta["free slots"], beta["idle attorneys"]) == (1, 0, 0)
    assert beta["load share of capacity"] == "100.0%"
    assert load[NO_FIRM]["idle attorneys"] == 1
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures["active attorneys"] == "5"
    assert figures["idle attorneys"] == "2"
    assert figures["capacity in use"] == "33.3%"  # 3 of 9 slots


def test_offers_answers_and_hours_to_answer(volunteers):
    report = attorneys_report(volunteers, ReportFilters(), TODAY)
    offers = _by_firm(report, "offers-by-firm")
    alpha = offers["Alpha LLP"]
    assert (alpha["offers"], alpha["answered"], alpha["accepted"]) == (3, 2, 1)
    assert (alpha["declined"], alpha["expired"]) == (1, 1)
    assert alpha["median hours to answer"] == 18.0  # 24 h and 12 h
    assert alpha["accepted share"] == "33.3%"
    beta = offers["Beta LLP"]
    assert (beta["offers"], beta["answered"], beta["median hours to answer"]) == (1, 0, "")
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures["median hours to answer an offer"] == "18.0"


def test_filters_narrow_the_attorneys_and_the_offers(volunteers):
    november = attorneys_report(volunteers, ReportFilters(date_from=date(2026, 11, 1)), TODAY)
    assert _by_firm(november, "offers-by-firm")["Alpha LLP"]["offers"] == 2
    new_york = attorneys_report(volunteers, ReportFilters(court="NYC"), TODAY)
    assert list(_by_firm(new_york, "load-by-firm")) == [NO_FIRM]
    assert new_york.table("offers-by-firm").empty
    texas = attorneys_report(volunteers, ReportFilters(state="TX"), TODAY)
    assert list(_by_firm(texas, "load-by-firm")) == ["Alpha LLP", "Beta LLP"]
    sijs = attorneys_report(volunteers, ReportFilters(case_type=CaseType.SIJS), TODAY)
    assert list(_by_firm(sijs, "load-by-firm")) == ["Beta LLP"]
    mam = attorneys_report(volunteers, ReportFilters(language="mam"), TODAY)
    assert mam.empty and mam.empty_message == "No active attorney matches these filters."


def test_no_attorneys_yet(session):
    assert attorneys_report(session, ReportFilters(), TODAY).empty_message == (
        "No active attorney yet."
    )
