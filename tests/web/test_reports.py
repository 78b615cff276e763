"""/reports through the test client (CSRF on): who may read them, every catalogued report's page,
CSV and charts agreeing, filters that cannot break a page, and no child's identity anywhere.

Reports are taken from reports.catalogue.CATALOGUE, so a report added there is covered here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from fixtures import factories as f
from jobs.clock import nightly_match
from matcher.rules import CaseType
from models.csv_formats import unprotect_cell
from models.entities import (
    CaseOutcome,
    CaseStatus,
    Child,
    Match,
    MatchRun,
    MatchStatus,
    Role,
    RunStatus,
)
from models.snapshots import take_daily_snapshot
from reports.catalogue import CATALOGUE
from reports.filters import ReportFilters
from tests.conftest import TODAY

from .conftest import text_of

READERS = (Role.COORDINATOR, Role.PROGRAM_LEAD, Role.ADMIN)
KEYS = list(CATALOGUE)
FIRST_NAMES = ("Yaretzi", "Itzamara", "Quetzalli", "Nayelitzin", "Citlalmina", "Tonantzin")
LAST_NAMES = ("Tzununcoj", "Ajpopxic", "Cojtibatz", "Xicayhuix", "Chumilquej")


# --- reading a report page ----------------------------------------------------------------------


@dataclass
class ShownTable:
    """One table section of a report page: its links and its cells as the page shows them."""

    key: str
    csv_href: str | None = None
    chart_src: str | None = None
    headings: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    empty: bool = False


class _ReportPage(HTMLParser):
    """The `section[data-table]` blocks of a report page, read as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[ShownTable] = []
        self._section: ShownTable | None = None
        self._depth = 0  # open <section>s inside the current one
        self._part = ""  # "thead" or "tbody" of the table being read
        self._cell: list[str] | None = None
        self._download = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            if self._section is None and attributes.get("data-table"):
                self._section = ShownTable(key=attributes["data-table"] or "")
                self.tables.append(self._section)
            elif self._section is not None:
                self._depth += 1
            return
        section = self._section
        if section is None:
            return
        if tag == "div" and "empty-state" in (attributes.get("class") or ""):
            section.empty = True
        elif tag == "img":
            section.chart_src = attributes.get("src")
        elif tag == "a" and "download" in attributes:
            section.csv_href = attributes.get("href")
        elif tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr" and self._part == "tbody":
            section.rows.append([])
        elif tag in ("th", "td") and self._part:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        section = self._section
        if section is None:
            return
        if tag == "section":
            if self._depth:
                self._depth -= 1
            else:
                self._section = None
        elif tag in ("thead", "tbody"):
            self._part = ""
        elif tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._part == "thead":
                section.headings.append(text)
            else:
                section.rows[-1].append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def shown_tables(page: TestResponse) -> dict[str, ShownTable]:
    parser = _ReportPage()
    parser.feed(page.get_data(as_text=True))
    parser.close()
    return {table.key: table for table in parser.tables}


def csv_rows(response: TestResponse) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def same_cell(on_page: str, in_csv: str) -> bool:
    """A CSV cell says what the page's cell says: the page writes 1,234 and rounds figures to
    one decimal; the CSV guards formula-like text with a quote."""
    in_csv = unprotect_cell(in_csv)
    if on_page == in_csv:
        return True
    try:
        return float(on_page.replace(",", "")) == round(float(in_csv), 1)
    except ValueError:
        return False


def report_urls(client: FlaskClient, key: str) -> list[str]:
    """The page of report `key` and every CSV and chart link on it."""
    path = f"/reports/{key}"
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    urls = [path]
    for table in shown_tables(page).values():
        urls += [url for url in (table.csv_href, table.chart_src) if url]
    return urls


# --- the program --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    a_number: str
    birth_date: date

    def traces(self) -> list[str]:
        """Every way a page might spell this child's name, A-number or birth date."""
        a, day = self.a_number, self.birth_date
        return [
            self.first_name,
            self.last_name,
            a,
            f"{a[:3]}-{a[3:6]}-{a[6:]}",
            f"A{a}",
            day.isoformat(),
            day.strftime("%m/%d/%Y"),
            f"{day.month}/{day.day}/{day.year}",
        ]


def _identity(n: int) -> Identity:
    return Identity(
        first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
        last_name=LAST_NAMES[n % len(LAST_NAMES)],
        a_number=f"{271_828_000 + 7_919 * n:09d}",
        birth_date=date(2010, 1, 3) + timedelta(days=37 * n),  # 15 or 16 years old
    )


IDENTITIES = [_identity(n) for n in range(30)]


def at(days_ago: int, hour: int = 10) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def program(db, factories):
    """Children with distinctive identities in every state a report counts, then a real run.

    Houston: 6 urgent Spanish children, 6 Mam children nobody speaks for; New York: 5 SIJS
    children; 6 represented Houston children (offers answered); 5 closed cases; the nightly job
    and a daily snapshot on the day before and after it.
    """
    people = iter(IDENTITIES)

    def child(**fields: object):
        who = next(people)
        return f.ChildFactory(
            first_name=who.first_name,
            last_name=who.last_name,
            a_number=who.a_number,
            birth_date=who.birth_date,
            **fields,
        )

    for _ in range(6):
        child(next_hearing_date=TODAY + timedelta(days=5), intake_date=TODAY - timedelta(days=20))
    for _ in range(6):
        child(language_code="mam", intake_date=TODAY - timedelta(days=50))
    for _ in range(5):
        child(court_code="NYC", case_type=CaseType.SIJS, next_hearing_date=TODAY + timedelta(25))
    f.AttorneyFactory(capacity=3, firm="Alpha LLP")
    f.AttorneyFactory(capacity=2, firm="Alpha LLP")
    f.AttorneyFactory(
        capacity=2,
        firm="Gamma LLP",
        court_codes=("NYC",),
        states=("NY",),
        expertise_levels={"sijs": "experienced"},
    )
    veteran = f.AttorneyFactory(capacity=12, firm="Beta LLP")
    for n in range(6):
        f.MatchFactory(
            child=child(intake_date=TODAY - timedelta(days=90)),
            attorney=veteran,
            run=None,  # placed by hand, before the run
            status=MatchStatus.ACCEPTED,
            created_at=at(85 - n),
            offered_at=at(84 - n),
            answered_at=at(80 - n),
        )
    for n in range(5):
        f.MatchFactory(
            child=child(intake_date=TODAY - timedelta(days=300), case_status=CaseStatus.CLOSED),
            attorney=veteran,
            run=None,
            status=MatchStatus.CLOSED,
            created_at=at(290),
            offered_at=at(289),
            answered_at=at(288 - n),
            outcome=CaseOutcome.RELIEF_GRANTED,
            closed_at=at(20 + n),
        )
    take_daily_snapshot(factories, TODAY - timedelta(days=1))
    factories.commit()
    # the nightly job: the run, then whatever reports compute from it
    nightly_match(db, "UTC")
    assert factories.scalars(select(MatchRun.status)).all() == [RunStatus.SUCCEEDED]
    take_daily_snapshot(factories, TODAY)
    factories.commit()
    return factories


# --- who may read -------------------------------------------------------------------------------


def test_an_attorney_is_refused_every_report_csv_and_chart(client, signed_in, program):
    signed_in(Role.ATTORNEY)
    urls = ["/reports"]
    for key, entry in CATALOGUE.items():
        urls.append(f"/reports/{key}")
        for table in entry.build(program, ReportFilters(), TODAY).tables:
            urls += [f"/reports/{key}/{table.key}.csv", f"/reports/{key}/{table.key}.svg"]
    urls += ["/reports/no-such-report", "/reports/gap/no-such-table.csv"]
    assert len(urls) > 2 + len(CATALOGUE)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Tzununcoj" not in response.get_data(as_text=True)


def test_someone_signed_out_is_sent_to_sign_in(client, program):
    for url in ["/reports", *(f"/reports/{key}" for key in KEYS), "/reports/gap/by-court.csv"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", READERS)
def test_coordinators_leads_and_admins_read_every_report(client, signed_in, program, role):
    signed_in(role)
    index = client.get("/reports")
    assert index.status_code == 200
    for key, entry in CATALOGUE.items():
        assert f'href="/reports/{key}"' in index.get_data(as_text=True)
        page = client.get(f"/reports/{key}")
        assert page.status_code == 200, key
        assert f"<h1>{entry.title}</h1>" in page.get_data(as_text=True)


# --- page, CSV and chart ------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_every_table_on_a_page_has_its_csv_and_they_agree(client, signed_in, program, key):
    signed_in(Role.PROGRAM_LEAD)
    built = CATALOGUE[key].build(program, ReportFilters(), TODAY)
    page = client.get(f"/reports/{key}")
    tables = shown_tables(page)
    assert list(tables) == [t.key for t in built.tables]
    assert any(not t.empty for t in built.tables), f"the test data leave {key} empty"
    for table in built.tables:
        shown = tables[table.key]
        if table.empty:
            assert shown.empty and shown.csv_href is None and shown.chart_src is None
            continue
        assert shown.csv_href == f"/reports/{key}/{table.key}.csv"
        response = client.get(shown.csv_href)
        assert response.status_code == 200, shown.csv_href
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        heading, *rows = csv_rows(response)
        assert heading == shown.headings
        assert len(rows) == len(shown.rows) == len(table.numbers)
        for on_page, in_csv in zip(shown.rows, rows, strict=True):
            assert len(on_page) == len(in_csv)
            assert all(map(same_cell, on_page, in_csv)), (table.key, on_page, in_csv)


@pytest.mark.parametrize("key", KEYS)
def test_every_chart_on_a_page_is_an_svg(client, signed_in, program, key):
    signed_in(Role.PROGRAM_LEAD)
    built = CATALOGUE[key].build(program, ReportFilters(), TODAY)
    tables = shown_tables(client.get(f"/reports/{key}"))
    for table in built.tables:
        src = tables[table.key].chart_src
        assert (src is not None) == (table.chart is not None and not table.empty), table.key
        if src is None:
            continue
        assert urlsplit(src).path == f"/reports/{key}/{table.key}.svg"
        chart = client.get(src)
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml", src
        assert chart.get_data(as_text=True).lstrip().startswith("<?xml")
        assert "<svg" in chart.get_data(as_text=True)
        assert "script-src" not in chart.headers["Content-Security-Policy"]


def test_links_carry_the_filters_and_the_csv_follows_them(client, signed_in, program):
    signed_in(Role.PROGRAM_LEAD)
    page = client.get("/reports/gap", query_string={"court": "NYC"})
    table = shown_tables(page)["by-court"]
    assert table.csv_href is not None and table.chart_src is not None
    assert parse_qs(urlsplit(table.csv_href).query) == {"court": ["NYC"]}
    assert parse_qs(urlsplit(table.chart_src).query) == {"court": ["NYC"]}
    heading, *rows = csv_rows(client.get(table.csv_href))
    assert [row[0] for row in rows] == ["NYC"] == [row[0] for row in table.rows]
    everywhere = csv_rows(client.get("/reports/gap/by-court.csv"))
    assert len(everywhere) > len(rows) + 1


def test_the_gap_page_shows_the_numbers_of_the_program(client, signed_in, program):
    signed_in(Role.PROGRAM_LEAD)
    by_court = shown_tables(client.get("/reports/gap"))["by-court"]
    houston = next(row for row in by_court.rows if row[0] == "HOU")
    columns = dict(zip(by_court.headings, houston, strict=True))
    # 6 urgent Spanish + 6 Mam + 6 represented open cases in Houston; closed cases not counted
    assert (columns["needing counsel"], columns["represented"]) == ("18", "6")
    assert (columns["without counsel"], columns["share represented"]) == ("12", "33.3%")


# --- filters that cannot break a page -----------------------------------------------------------

FILTERS = ("date_from", "date_to", "court", "state", "language", "case_type")
BAD_VALUES = {
    "unknown": "ZZZ",
    "nul": "HOU\x00",
    "only-nul": "\x00",
    "bad-day": "2026-13-45",
    "year-0001": "0001-01-01",
    "year-99999": "99999-01-01",
    "huge-integer": "9" * 40,
    "long": "x" * 20_000,
}


def _refused_calmly(client, url: str, query: dict[str, str]) -> None:
    page = client.get(url, query_string=query)
    assert page.status_code in (200, 400), (query, url, page.status_code)
    assert "\x00" not in page.get_data(as_text=True), (query, url)
    if page.status_code == 200 and not url.endswith((".csv", ".svg")):
        assert "Some filters could not be used" in text_of(page), (query, url)


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_filter_is_named_on_the_page_never_a_server_error(client, signed_in, program, value):
    """Every filter alone on one report (one form reads them for every page), and all of them at
    once on every page, CSV and chart."""
    signed_in(Role.PROGRAM_LEAD)
    for name in FILTERS:
        _refused_calmly(client, "/reports/gap", {name: value})
    every_filter = dict.fromkeys(FILTERS, value)
    pages = ["/reports", *(f"/reports/{key}" for key in KEYS)]
    for url in [*pages, "/reports/gap/by-court.csv", "/reports/gap/by-court.svg"]:
        _refused_calmly(client, url, every_filter)


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-06-30", "date_to": "2026-06-01"},
        {"date_from": "9999-12-31"},
        {"date_to": "1999-12-31"},
        {"date_from": "2026-02-29"},
        {"date_from": "2026-06-01\x00"},
        {"case_type": "asylum\x00"},
    ],
)
def test_dates_out_of_order_or_out_of_range_are_form_errors(client, signed_in, program, query):
    signed_in(Role.PROGRAM_LEAD)
    for key in KEYS:
        page = client.get(f"/reports/{key}", query_string=query)
        assert page.status_code == 200, key
        assert "Some filters could not be used" in text_of(page)
        assert "\x00" not in page.get_data(as_text=True)


def test_a_bad_filter_is_left_out_and_the_good_ones_kept(client, signed_in, program):
    signed_in(Role.PROGRAM_LEAD)
    page = client.get("/reports/gap", query_string={"court": "NYC", "language": "\x00spa"})
    assert "Some filters could not be used" in text_of(page)
    tables = shown_tables(page)
    assert [row[0] for row in tables["by-court"].rows] == ["NYC"]
    assert parse_qs(urlsplit(tables["by-court"].csv_href or "").query) == {"court": ["NYC"]}


@pytest.mark.parametrize(
    "url",
    [
        "/reports/no-such-report",
        "/reports/gap%00",
        "/reports/" + "x" * 5000,
        "/reports/no-such-report/by-court.csv",
        "/reports/no-such-report/by-court.svg",
        "/reports/gap/no-such-table.csv",
        "/reports/gap/no-such-table.svg",
        "/reports/gap/by-court%00.csv",
        "/reports/gap/" + "9" * 40 + ".csv",
    ],
)
def test_unknown_reports_and_tables_are_not_found(client, signed_in, program, url):
    signed_in(Role.PROGRAM_LEAD)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("key", KEYS)
def test_unknown_tables_of_every_report_are_not_found(client, signed_in, key):
    signed_in(Role.PROGRAM_LEAD)
    assert client.get(f"/reports/{key}/no-such-table.csv").status_code == 404
    assert client.get(f"/reports/{key}/no-such-table.svg").status_code == 404


# --- privacy ------------------------------------------------------------------------------------


TRACES = [trace for who in IDENTITIES for trace in who.traces()]


def traces_in(response: TestResponse) -> list[str]:
    """The children's names, A-numbers and birth dates found in a response (any case)."""
    body = response.get_data().decode("utf-8-sig").lower()
    return [trace for trace in TRACES if trace.lower() in body]


def test_no_child_name_a_number_or_birth_date_on_any_page_csv_or_chart(client, signed_in, program):
    signed_in(Role.PROGRAM_LEAD)
    urls = ["/reports", "/reports?court=HOU"]
    for key in KEYS:
        urls += report_urls(client, key)
        page = client.get(f"/reports/{key}?language=mam")
        urls += [f"/reports/{key}?language=mam"] + [
            url
            for table in shown_tables(page).values()
            for url in (table.csv_href, table.chart_src)
            if url
        ]
    assert sum(".csv" in url for url in urls) >= len(KEYS)
    assert sum(".svg" in url for url in urls) >= len(KEYS)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert traces_in(response) == [], url


def test_the_privacy_scan_finds_a_child_where_the_child_belongs(client, make_user, auth, program):
    """The scan above would see a leak: the case page of the child's own attorney shows all."""
    case = program.scalars(select(Match).where(Match.status == MatchStatus.ACCEPTED)).first()
    assert case is not None
    auth.login(make_user(Role.ATTORNEY, attorney=case.attorney).email)
    page = client.get(f"/attorney/cases/{case.id}")
    assert page.status_code == 200
    child = program.get_one(Child, case.child_id)
    assert {child.first_name, child.a_number, child.birth_date.isoformat()} <= set(traces_in(page))


# --- empty states and print ---------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_an_empty_program_shows_each_report_s_empty_state(client, signed_in, session, key):
    signed_in(Role.PROGRAM_LEAD)
    built = CATALOGUE[key].build(session, ReportFilters(), TODAY)
    assert built.empty, f"{key} has something to show with no children and no attorneys"
    page = client.get(f"/reports/{key}")
    assert page.status_code == 200
    body = text_of(page)
    assert 'data-empty="report"' in body
    assert (built.empty_message or "No data to report yet.") in body
    assert shown_tables(page) == {} and f"/reports/{key}/" not in body  # no CSV, no chart


@pytest.mark.parametrize("key", KEYS)
def test_filters_that_match_nobody_say_so(client, signed_in, program, key):
    signed_in(Role.PROGRAM_LEAD)
    page = client.get(f"/reports/{key}", query_string={"state": "CA"})
    assert page.status_code == 200
    assert 'data-empty="report"' in text_of(page) or all(
        table.empty for table in shown_tables(page).values()
    )


def test_the_reports_link_the_stylesheet_that_prints_them_plainly(client, signed_in, program):
    signed_in(Role.PROGRAM_LEAD)
    page = client.get("/reports/gap")
    body = page.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/style.css">' in body
    assert 'class="panel filters"' in body and 'class="download"' in body
    with client.get("/static/style.css") as stylesheet:
        assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"
        css = stylesheet.get_data(as_text=True)
    printed = css[css.index("@media print") :]
    hidden_in_print = printed[: printed.index("display: none")]
    for selector in (".filters", ".download", ".site-nav", ".breadcrumb"):
        assert selector in hidden_in_print
