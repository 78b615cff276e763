"""An invited attorney's whole journey in Chromium (issue 9): a coordinator invites them; they
choose a password from the e-mailed link, add a leave period, lower their capacity; the nightly
run proposes a child to them, a coordinator confirms it, they accept the offer and read the
child's record; the coordinator sees the acceptance on the child's page.

Nothing is mocked: the real server, the real solver (jobs.matching.run_match) and real rows.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from fixtures import factories as f
from jobs.matching import run_match
from models.db import Database
from models.entities import Match, MatchStatus, OutboxMessage, Role
from models.settings import PUBLIC_BASE_URL_KEY

from . import E2E, collect_console_errors, sign_in

pytestmark = E2E

ATTORNEY_PASSWORD = "a long and private passphrase 9"
SCREENSHOT = "/tmp/e2e_attorney.png"


def _outbox(db: Database, kind: str, to: str) -> list[OutboxMessage]:
    with db.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind, OutboxMessage.to_address == to)
            .order_by(OutboxMessage.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_invited_attorney_sets_up_accepts_an_offer_and_the_coordinator_sees_it(
    page: Page, browser: Browser, live_server: str, db: Database, factories
):
    today = date.today()
    child = f.ChildFactory(
        external_id="C-900",
        first_name="Lucía",
        last_name="Chavajay",
        a_number="208123456",
        sex="F",
        court_code="HOU",
        language_code="spa",
        next_hearing_date=today + timedelta(days=20),
    )
    attorney = f.AttorneyFactory(
        name="Ana Whitfield", email="ana.whitfield@probono.example", capacity=3
    )
    f.UserFactory(role=Role.COORDINATOR, email="coordinator@example.org")
    f.SettingFactory(key=PUBLIC_BASE_URL_KEY, value=live_server)
    factories.commit()
    child_id, attorney_id = child.id, attorney.id
    child_birth_date = child.birth_date.isoformat()
    problems: list[str] = []
    collect_console_errors(page, problems)

    # --- the coordinator invites the attorney from the attorney's page --------------------------
    sign_in(page, "coordinator@example.org", f.FACTORY_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Attorneys").click()
    page.get_by_role("link", name="Ana Whitfield").click()
    expect(page).to_have_url(re.compile(rf"/attorneys/{attorney_id}$"))
    page.get_by_role("button", name="Invite Ana Whitfield to the portal").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent to ana.whitfield@probono.example; the link works for 72 hours."
    )
    expect(page.locator("[data-account]")).to_have_text("Invited, never signed in")
    (invite,) = _outbox(db, "invite", "ana.whitfield@probono.example")
    link = re.search(r"https?://\S+", invite.body)
    assert link is not None, invite.body
    assert link.group(0).startswith(live_server + "/reset/")

    # --- the attorney, in a browser of their own ----------------------------------------------
    context = browser.new_context(base_url=live_server)
    try:
        lawyer = context.new_page()
        collect_console_errors(lawyer, problems)
        lawyer.goto(link.group(0))
        expect(lawyer.get_by_role("heading", level=1)).to_have_text("Choose your password")
        lawyer.get_by_label("New password", exact=True).fill(ATTORNEY_PASSWORD)
        again = lawyer.get_by_label("New password again", exact=True)
        again.fill(ATTORNEY_PASSWORD)
        again.press("Enter")
        expect(lawyer).to_have_url(re.compile(r"/login$"))
        expect(lawyer.get_by_role("status")).to_contain_text("Your password is saved.")
        sign_in(lawyer, "ana.whitfield@probono.example", ATTORNEY_PASSWORD)

        # Leave far ahead: the run below still finds the attorney available today.
        start, end = today + timedelta(days=200), today + timedelta(days=214)
        nav = lawyer.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Leave").click()
        expect(lawyer.get_by_role("heading", level=1)).to_have_text("Your leave")
        expect(lawyer.get_by_text("No leave recorded.")).to_be_visible()
        lawyer.get_by_label("First day away").fill(start.isoformat())
        lawyer.get_by_label("Last day away").fill(end.isoformat())
        lawyer.get_by_role("button", name="Save the leave").click()
        expect(lawyer.get_by_role("status")).to_contain_text("Leave saved.")
        periods = lawyer.get_by_role("table").locator("tbody tr")
        expect(periods).to_have_count(1)
        expect(periods.first).to_contain_text(start.isoformat())
        expect(periods.first).to_contain_text(end.isoformat())

        nav.get_by_role("link", name="Profile").click()
        capacity = lawyer.get_by_label("Cases you can carry at once")
        expect(capacity).to_have_value("3")
        capacity.fill("2")
        lawyer.get_by_role("button", name="Save the profile").click()
        expect(lawyer.get_by_role("status")).to_contain_text("Profile saved.")
        expect(lawyer.get_by_label("Cases you can carry at once")).to_have_value("2")

        # The coordinator's page of the attorney shows both changes.
        page.reload()
        expect(page.locator("[data-load]")).to_have_attribute("data-load", "0/2/2")
        expect(page.locator("[data-leave]")).to_have_text(
            f"{start.isoformat()} to {end.isoformat()}"
        )
        expect(page.locator("[data-account]")).to_have_text("Active account")

        # --- tonight's run proposes the child; the coordinator confirms it ----------------------
        outcome = run_match(db, as_of=today, trigger="command")
        assert outcome.run_id is not None
        with db.session() as session:
            match = session.scalars(
                select(Match).where(Match.child_id == child_id, Match.attorney_id == attorney_id)
            ).one()
            assert match.status == MatchStatus.PROPOSED
            match_id = match.id

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
        page.get_by_role("button", name="Confirm Ana Whitfield for Lucía Chavajay").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Confirmed: Ana Whitfield is offered the case of C-900."
        )
        (offer_mail,) = _outbox(db, "offer", "ana.whitfield@probono.example")
        assert f"{live_server}/attorney/offers/{match_id}" in offer_mail.body
        for secret in ("Lucía", "Chavajay", "208123456", "C-900"):
            assert secret not in offer_mail.body
            assert secret not in offer_mail.subject

        # --- the attorney answers the offer, then reads the record ------------------------------
        nav.get_by_role("link", name="Offers").click()
        expect(lawyer.get_by_role("heading", level=1)).to_have_text("Offers awaiting your answer")
        offers = lawyer.locator("tbody tr[data-offer]")
        expect(offers).to_have_count(1)
        expect(offers.first).to_contain_text("16-year-old girl")
        offers.first.get_by_role("link", name=re.compile("See the offer")).click()
        expect(lawyer).to_have_url(re.compile(rf"/attorney/offers/{match_id}$"))
        expect(lawyer.get_by_role("heading", level=1)).to_have_text("An offer of one child")
        main = lawyer.get_by_role("main")
        expect(main).to_contain_text("Guatemala")
        for secret in ("Lucía", "Chavajay", "208123456", child_birth_date):
            expect(main).not_to_contain_text(secret)
        lawyer.get_by_label("I have no conflict of interest").check()
        lawyer.get_by_role("button", name="Accept the case").click()

        expect(lawyer).to_have_url(re.compile(rf"/attorney/cases/{match_id}$"))
        expect(lawyer.get_by_role("status")).to_contain_text("You accepted the case.")
        expect(lawyer.get_by_role("heading", level=1)).to_have_text("Lucía Chavajay")
        record = lawyer.get_by_role("region", name="The child's record")
        expect(record).to_contain_text("208123456")
        expect(record).to_contain_text("C-900")
        expect(record).to_contain_text((today + timedelta(days=20)).isoformat())
        lawyer.screenshot(path=SCREENSHOT.replace(".png", "_case.png"), full_page=True)
    finally:
        context.close()

    # --- the coordinator sees the acceptance on the child's page --------------------------------
    page.goto(f"/children/{child_id}")
    expect(page.locator("[data-holding]")).to_have_text("Ana Whitfield has accepted the case.")
    offer_row = page.locator(f'tr[data-offer="{match_id}"]')
    expect(offer_row).to_have_attribute("data-status", "accepted")
    timeline = page.get_by_role("table", name=re.compile("Proposals, decisions"))
    expect(timeline.locator('tr[data-kind="accepted"]')).to_contain_text(
        "Ana Whitfield accepted the case"
    )
    expect(timeline.locator('tr[data-kind="accepted"]')).to_contain_text(
        "ana.whitfield@probono.example"
    )
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert problems == []
