"""A program lead reads the representation gap in Chromium: opens the reports, narrows them to a
court, sees the chart beside the table, downloads the table as CSV (the same cells) and prints
without the filters; an attorney is refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from fixtures import factories as f
from matcher.rules import CaseType
from models.entities import MatchStatus, Role

from . import E2E

pytestmark = E2E


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(f.FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_a_lead_filters_the_gap_reads_its_chart_and_downloads_the_table(page: Page, factories):
    today = date.today()
    lawyer = f.AttorneyFactory(capacity=9)
    for n in range(8):  # Houston: 8 children, 5 represented
        child = f.ChildFactory(next_hearing_date=today + timedelta(days=60))
        if n < 5:
            f.MatchFactory(child=child, attorney=lawyer, status=MatchStatus.ACCEPTED)
    for _ in range(6):
        f.ChildFactory(court_code="NYC", case_type=CaseType.SIJS)
    f.UserFactory(role=Role.PROGRAM_LEAD, email="lead@example.org")
    factories.commit()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    sign_in(page, "lead@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    page.get_by_role("link", name="Representation gap").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Representation gap")

    page.get_by_label("Court", exact=True).select_option("HOU")
    page.get_by_role("button", name="Apply the filters").click()
    expect(page).to_have_url(re.compile(r"/reports/gap\?.*court=HOU"))
    expect(page.get_by_label("Court", exact=True)).to_have_value("HOU")

    section = page.locator('section[data-table="by-court"]')
    chart = section.get_by_role("img", name=re.compile("Chart of by court"))
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )

    table = section.get_by_role("table", name="By court")
    headings = table.locator("thead th").all_inner_texts()
    rows = [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]
    assert headings[:4] == ["court", "court name", "state", "needing counsel"]
    assert [dict(zip(headings, row, strict=True)) for row in rows] == [
        {
            "court": "HOU",
            "court name": "Houston (Greenspoint Park) Immigration Court",
            "state": "TX",
            "needing counsel": "8",
            # 3 without counsel: under 5, and the 5 represented would give it away
            "represented": "hidden",
            "without counsel": "<5",
            "share represented": "hidden",
        }
    ]

    with page.expect_download() as download_info:
        section.get_by_role("link", name="Download this table as CSV").click()
    download = download_info.value
    assert re.fullmatch(
        r"counselmatch-gap-by-court-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename
    )
    with open(download.path(), encoding="utf-8-sig", newline="") as saved:
        assert list(csv.reader(io.StringIO(saved.read()))) == [headings, *rows]

    # On paper: the tables and chart, not the filters or the download links.
    page.emulate_media(media="print")
    expect(page.locator("form.filters")).to_be_hidden()
    expect(section.get_by_role("link", name="Download this table as CSV")).to_be_hidden()
    expect(table).to_be_visible()
    assert problems == []


def test_an_attorney_is_refused_the_reports(page: Page, factories):
    f.UserFactory(as_attorney=True, email="attorney@example.org")
    factories.commit()

    sign_in(page, "attorney@example.org")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Overview")).to_be_visible()
    expect(navigation.get_by_role("link", name="Reports")).to_have_count(0)
    for path in ("/reports", "/reports/gap", "/reports/gap/by-court.csv"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
