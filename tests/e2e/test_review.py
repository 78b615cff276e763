"""A coordinator reviews tonight's proposals in Chromium: filters the queue, confirms one, rejects
another with a reason, and finds both decisions on the children's timelines."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from fixtures import factories as f
from models.entities import Role

from . import E2E

pytestmark = E2E


def test_coordinator_filters_confirms_rejects_and_reads_the_timelines(page: Page, factories):
    today = date.today()
    run = f.MatchRunFactory()
    confirmed = f.MatchFactory(
        run=run,
        child=f.ChildFactory(
            external_id="C-100",
            first_name="Mateo",
            last_name="Ixcoy",
            next_hearing_date=today + timedelta(days=5),
        ),
        attorney=f.AttorneyFactory(name="Ruth Okafor"),
    )
    rejected = f.MatchFactory(
        run=run,
        child=f.ChildFactory(external_id="C-200", first_name="Rosa", last_name="Tzul"),
        attorney=f.AttorneyFactory(name="Ivo Brandt"),
    )
    f.MatchFactory(
        run=run,
        child=f.ChildFactory(external_id="C-300", court_code="NYC"),
        attorney=f.AttorneyFactory(name="Nia Soto", court_codes=["NYC"]),
    )
    f.UserFactory(role=Role.COORDINATOR, email="coordinator@example.org")
    factories.commit()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    page.goto("/login")
    page.get_by_label("Email address").fill("coordinator@example.org")
    page.get_by_label("Password").fill(f.FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    rows = page.locator("tbody tr[data-match]")
    expect(rows).to_have_count(3)
    page.get_by_label("Court").select_option("HOU")
    page.get_by_role("button", name="Show proposals").click()
    expect(page).to_have_url(re.compile(r"/review\?.*court=HOU"))
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Mateo Ixcoy")  # the earlier hearing comes first
    expect(page.get_by_label("Court")).to_have_value("HOU")

    page.get_by_role("button", name="Confirm Ruth Okafor for Mateo Ixcoy").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Confirmed: Ruth Okafor is offered the case of C-100."
    )
    expect(page).to_have_url(re.compile(r"court=HOU"))
    expect(rows).to_have_count(1)

    # The reject form opens from the keyboard (a native disclosure: no script needed).
    page.locator("summary", has_text="Reject").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Reason for rejecting the proposal for Rosa Tzul").select_option("conflict")
    page.get_by_label("Note for rejecting the proposal for Rosa Tzul").fill(
        "Firm represents the sponsor"
    )
    page.get_by_role("button", name="Reject Ivo Brandt for Rosa Tzul").click()
    expect(page.get_by_role("status")).to_contain_text("Rejected: Ivo Brandt for C-200")
    expect(rows).to_have_count(0)
    expect(page.get_by_text("No proposal awaiting review meets these filters.")).to_be_visible()

    page.goto(f"/children/{confirmed.child_id}")
    timeline = page.get_by_role("table", name=re.compile("Proposals, decisions"))
    expect(timeline.locator('tr[data-kind="confirmed"]')).to_contain_text(
        "Confirmed: offer sent to Ruth Okafor"
    )
    expect(timeline.locator('tr[data-kind="confirmed"]')).to_contain_text("coordinator@example.org")
    page.goto(f"/children/{rejected.child_id}")
    row = page.locator('tr[data-kind="rejected"]')
    expect(row).to_contain_text("Rejected: Ivo Brandt")
    expect(row).to_contain_text("Conflict of interest found: Firm represents the sponsor")
    expect(row).to_contain_text("coordinator@example.org")
    assert problems == []
