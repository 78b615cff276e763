"""A coordinator signs in through the form in Chromium, reads the home counts, signs out."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from fixtures import factories as f
from models.entities import MatchStatus, Role

from . import E2E

pytestmark = E2E


def test_coordinator_signs_in_sees_the_counts_and_signs_out(page: Page, factories):
    today = date.today()
    urgent = f.ChildFactory(next_hearing_date=today + timedelta(days=5))
    f.ChildFactory(detained=True)
    f.ChildFactory(next_hearing_date=today + timedelta(days=20))
    f.ChildFactory(next_hearing_date=None)
    represented = f.ChildFactory(next_hearing_date=today + timedelta(days=3))
    attorney = f.AttorneyFactory(capacity=3)
    f.MatchFactory(child=represented, attorney=attorney, status=MatchStatus.ACCEPTED)
    f.MatchFactory(child=urgent, attorney=attorney, status=MatchStatus.CONFIRMED)
    f.UserFactory(role=Role.COORDINATOR, email="coordinator@example.org")
    factories.commit()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    # The first Tab lands on the skip link.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    page.get_by_label("Email address").fill("coordinator@example.org")
    page.get_by_label("Password").fill(f.FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_role("banner")).to_contain_text("coordinator@example.org")
    expect(page.get_by_role("banner")).to_contain_text("Coordinator")
    expected = {
        "tier-1": "2",
        "tier-2": "1",
        "tier-3": "0",
        "tier-4": "1",
        "without-counsel": "4",
        "open-children": "5",
        "free-slots": "1",  # 3 - 1 accepted - 1 confirmed
    }
    for name, value in expected.items():
        expect(page.locator(f'[data-count="{name}"]')).to_have_text(value)
    # The stylesheet loaded under the Content-Security-Policy, and nothing was blocked.
    header_colour = page.locator("header.site-header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert header_colour == "rgb(31, 58, 95)"
    # The header's account link is white on it (the page's link blue was 1.3:1 there).
    account_link = page.get_by_role("banner").get_by_role("link", name="Your account")
    expect(account_link).to_have_css("color", "rgb(255, 255, 255)")
    assert problems == []

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
