"""The representation gap on factory-built children: every breakdown's numbers worked out by hand.

The program (as of TODAY), five groups of children with an open case:

    group  court  language  country      case type        age  tier        children  represented
    A      HOU    Spanish   Guatemala    asylum           16   T3 (+60 d)        10            6
    B      HOU    Mam       Guatemala    asylum           14   T1 (+5 d)          5            0
    C      NYC    Spanish   Honduras     SIJS              8   T2 (+20 d)         6            3
    D      NYC    Spanish   El Salvador  removal defense   4   T1 (detained)      2            0
    E      DAL    Spanish   Mexico       asylum           18   T4 (no date)       5            5

Of A's four without counsel, one has a confirmed offer and one a proposal: neither is counsel.
One of A's represented children has two accepted matches (counted once). A closed case with an
accepted match is nobody's need. Courts: HOU and DAL are in Texas, NYC in New York.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import CaseStatus, MatchStatus
from reports.children import years_before
from reports.filters import ReportFilters
from reports.gap import BREAKDOWNS, NEEDING, REPRESENTED, SHARE, WITHOUT, gap_report
from reports.tables import HIDDEN_MARK, SMALL_MARK
from tests.conftest import TODAY

COLUMNS = (NEEDING, REPRESENTED, WITHOUT)
INTAKE = {
    "A": TODAY - timedelta(days=40),
    "B": TODAY - timedelta(days=30),
    "C": TODAY - timedelta(days=20),
    "D": TODAY - timedelta(days=10),
    "E": TODAY - timedelta(days=400),
}


def born_aged(age: int) -> date:
    """A birth date that makes a child `age` on TODAY (a few weeks past the birthday)."""
    return years_before(TODAY, age) - timedelta(days=20)


def _group(n: int, represented: int, **fields: object) -> list:
    children = [f.ChildFactory(**fields) for _ in range(n)]
    lawyer = f.AttorneyFactory(capacity=20)
    for child in children[:represented]:
        f.MatchFactory(child=child, attorney=lawyer, status=MatchStatus.ACCEPTED)
    return children


@pytest.fixture
def program(factories):
    a = _group(
        10,
        6,
        court_code="HOU",
        birth_date=born_aged(16),
        next_hearing_date=TODAY + timedelta(days=60),
        intake_date=INTAKE["A"],
    )
    f.MatchFactory(child=a[0], status=MatchStatus.ACCEPTED)  # a second acceptance: still one child
    f.MatchFactory(child=a[6], status=MatchStatus.CONFIRMED)
    f.MatchFactory(child=a[7], status=MatchStatus.PROPOSED)
    f.MatchFactory(child=a[8], status=MatchStatus.DECLINED)
    _group(
        5,
        0,
        court_code="HOU",
        language_code="mam",
        birth_date=born_aged(14),
        next_hearing_date=TODAY + timedelta(days=5),
        intake_date=INTAKE["B"],
    )
    _group(
        6,
        3,
        court_code="NYC",
        country_of_origin="Honduras",
        case_type=CaseType.SIJS,
        birth_date=born_aged(8),
        next_hearing_date=TODAY + timedelta(days=20),
        intake_date=INTAKE["C"],
    )
    _group(
        2,
        0,
        court_code="NYC",
        country_of_origin="El Salvador",
        case_type=CaseType.REMOVAL_DEFENSE,
        birth_date=born_aged(4),
        detained=True,
        next_hearing_date=None,
        intake_date=INTAKE["D"],
    )
    _group(
        5,
        5,
        court_code="DAL",
        country_of_origin="Mexico",
        birth_date=born_aged(18),
        next_hearing_date=None,
        intake_date=INTAKE["E"],
    )
    _group(1, 1, court_code="HOU", case_status=CaseStatus.CLOSED)
    factories.commit()
    return factories


def raw(report, key: str, label: str) -> dict[str, tuple[int, int, int]]:
    """(needing, represented, without) by the table's `label` column, in the table's order."""
    numbers = report.table(key).numbers
    return {row[label]: tuple(int(row[c]) for c in COLUMNS) for row in numbers.to_dict("records")}


def shown(report, key: str, label: str) -> dict[str, tuple[object, ...]]:
    """(needing, represented, without, share) as shown, by `label`."""
    return {
        row[label]: tuple(row[c] for c in (*COLUMNS, SHARE))
        for row in report.table(key).shown().to_dict("records")
    }


def test_the_report_has_every_breakdown_and_the_urgent_table(session):
    report = gap_report(session, ReportFilters(), TODAY)
    assert [t.key for t in report.tables] == [key for key, *_ in BREAKDOWNS] + ["urgent"]
    assert len({t.key for t in report.tables}) == len(report.tables)


def test_headline_figures(program):
    report = gap_report(program, ReportFilters(), TODAY)
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures[NEEDING] == "28"  # 10 + 5 + 6 + 2 + 5
    assert figures[REPRESENTED] == "14"  # 6 + 3 + 5
    assert figures[SHARE] == "50.0%"
    assert figures["urgent (T1, T2) without counsel"] == "10"  # B 5, C 3, D 2


def test_by_court(program):
    report = gap_report(program, ReportFilters(), TODAY)
    # the biggest gap first
    assert raw(report, "by-court", "court") == {
        "HOU": (15, 6, 9),
        "NYC": (8, 3, 5),
        "DAL": (5, 5, 0),
    }
    assert shown(report, "by-court", "court") == {
        "HOU": (15, 6, 9, "40.0%"),
        "NYC": (8, SMALL_MARK, HIDDEN_MARK, HIDDEN_MARK),
        "DAL": (5, 5, 0, "100.0%"),
    }
    rows = report.table("by-court").numbers.set_index("court")
    assert rows.loc["HOU", "court name"] == "Houston (Greenspoint Park) Immigration Court"
    assert rows.loc["HOU", "state"] == "TX" and rows.loc["NYC", "state"] == "NY"


def test_by_state(program):
    report = gap_report(program, ReportFilters(), TODAY)
    assert shown(report, "by-state", "state") == {
        "TX": (20, 11, 9, "55.0%"),
        "NY": (8, SMALL_MARK, HIDDEN_MARK, HIDDEN_MARK),
    }
    assert raw(report, "by-state", "state")["NY"] == (8, 3, 5)


def test_by_language(program):
    report = gap_report(program, ReportFilters(), TODAY)
    assert shown(report, "by-language", "language") == {
        "Spanish": (23, 14, 9, "60.9%"),  # 14 / 23
        "Mam": (5, 0, 5, "0.0%"),
    }


def test_by_country(program):
    report = gap_report(program, ReportFilters(), TODAY)
    assert raw(report, "by-country", "country") == {
        "Guatemala": (15, 6, 9),
        "Honduras": (6, 3, 3),
        "El Salvador": (2, 0, 2),
        "Mexico": (5, 5, 0),
    }
    by_country = shown(report, "by-country", "country")
    assert by_country["Guatemala"] == (15, 6, 9, "40.0%")
    assert by_country["Honduras"] == (6, SMALL_MARK, SMALL_MARK, HIDDEN_MARK)
    assert by_country["El Salvador"] == (SMALL_MARK, HIDDEN_MARK, SMALL_MARK, HIDDEN_MARK)


def test_by_case_type_in_its_natural_order(program):
    report = gap_report(program, ReportFilters(), TODAY)
    assert raw(report, "by-case-type", "case type") == {
        "asylum": (20, 11, 9),
        "sijs": (6, 3, 3),
        "removal_defense": (2, 0, 2),
    }


def test_by_age_band_in_its_natural_order(program):
    report = gap_report(program, ReportFilters(), TODAY)
    assert raw(report, "by-age", "age band") == {
        "0–5": (2, 0, 2),
        "6–12": (6, 3, 3),
        "13–15": (5, 0, 5),
        "16–17": (10, 6, 4),
        "18 or older": (5, 5, 0),
    }


def test_by_tier_in_its_natural_order(program):
    report = gap_report(program, ReportFilters(), TODAY)
    assert raw(report, "by-tier", "tier") == {
        "T1": (7, 0, 7),  # B by the hearing date, D as detained
        "T2": (6, 3, 3),
        "T3": (10, 6, 4),
        "T4": (5, 5, 0),
    }
    assert shown(report, "by-tier", "tier")["T1"] == (7, 0, 7, "0.0%")


def test_urgent_children_without_counsel_by_court_and_language(program):
    urgent = gap_report(program, ReportFilters(), TODAY).table("urgent")
    assert urgent.numbers.to_dict("records") == [
        {
            "court and language": "HOU, Mam",
            "court": "HOU",
            "language": "Mam",
            "T1": 5,
            "T2": 0,
            "urgent without counsel": 5,
        },
        {
            "court and language": "NYC, Spanish",
            "court": "NYC",
            "language": "Spanish",
            "T1": 2,  # detained
            "T2": 3,  # C's three without counsel
            "urgent without counsel": 5,
        },
    ]
    nyc = urgent.shown().to_dict("records")[1]
    assert (nyc["T1"], nyc["T2"], nyc["urgent without counsel"]) == (SMALL_MARK, SMALL_MARK, 5)


@pytest.mark.parametrize(
    ("birthday_years_ago", "band"),
    [(6, "6–12"), (13, "13–15"), (16, "16–17"), (18, "18 or older")],
)
def test_age_bands_turn_on_the_birthday(factories, birthday_years_ago, band):
    birthday = years_before(TODAY, birthday_years_ago)
    younger = {6: "0–5", 13: "6–12", 16: "13–15", 18: "16–17"}[birthday_years_ago]
    for _ in range(5):
        f.ChildFactory(birth_date=birthday)  # today is the birthday
        f.ChildFactory(birth_date=birthday + timedelta(days=1))  # tomorrow is
    factories.commit()
    by_age = raw(gap_report(factories, ReportFilters(), TODAY), "by-age", "age band")
    assert by_age == {younger: (5, 0, 5), band: (5, 0, 5)}


def test_filters_narrow_the_children(program):
    def courts(**filters: object) -> dict[str, tuple[int, int, int]]:
        return raw(gap_report(program, ReportFilters(**filters), TODAY), "by-court", "court")

    assert courts(court="NYC") == {"NYC": (8, 3, 5)}
    assert courts(state="TX") == {"HOU": (15, 6, 9), "DAL": (5, 5, 0)}
    assert courts(language="mam") == {"HOU": (5, 0, 5)}
    assert courts(case_type=CaseType.SIJS) == {"NYC": (6, 3, 3)}
    # the range is inclusive: a range of one day holds D's intake day
    assert courts(date_from=INTAKE["D"], date_to=INTAKE["D"]) == {"NYC": (2, 0, 2)}
    assert courts(date_from=INTAKE["C"]) == {"NYC": (8, 3, 5)}  # C and D
    assert courts(date_to=INTAKE["E"]) == {"DAL": (5, 5, 0)}
    assert courts(state="TX", language="spa", case_type=CaseType.ASYLUM) == {
        "HOU": (10, 6, 4),
        "DAL": (5, 5, 0),
    }
    narrowed = gap_report(program, ReportFilters(court="NYC"), TODAY)
    figures = {figure.label: figure.value for figure in narrowed.figures}
    assert figures[NEEDING] == "8" and figures[REPRESENTED] == "<5" and figures[SHARE] == "hidden"
    assert raw(narrowed, "by-language", "language") == {"Spanish": (8, 3, 5)}
    assert [r["court"] for r in narrowed.table("urgent").numbers.to_dict("records")] == ["NYC"]


def test_filters_that_match_nobody_leave_every_table_empty(program):
    report = gap_report(program, ReportFilters(state="CA"), TODAY)
    assert report.empty and all(t.empty for t in report.tables)
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures[NEEDING] == "0" and figures[SHARE] == "hidden"


def test_small_groups_everywhere_show_as_under_five(factories):
    for _ in range(3):
        f.ChildFactory(language_code="mam", next_hearing_date=TODAY + timedelta(days=3))
    f.MatchFactory(
        child=f.ChildFactory(next_hearing_date=TODAY + timedelta(days=3)),
        status=MatchStatus.ACCEPTED,
    )
    factories.commit()
    report = gap_report(factories, ReportFilters(), TODAY)
    figures = {figure.label: figure.value for figure in report.figures}
    assert (figures[NEEDING], figures[REPRESENTED], figures[SHARE]) == ("<5", "<5", "hidden")
    assert figures["urgent (T1, T2) without counsel"] == "<5"
    for table in report.tables:
        for row in table.shown().to_dict("records"):
            for column in table.child_counts:
                assert row[column] in (SMALL_MARK, HIDDEN_MARK), (table.key, row)
        assert "3" not in table.csv().replace("T3", "")  # the 3 Mam children never show
