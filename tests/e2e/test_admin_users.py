"""Administration in Chromium (issue 11): an admin invites a coordinator from /admin/users;
the invitee chooses a password from the e-mailed link (a common one is refused first) and
signs in in a browser of their own; the admin moves the nightly match on /admin/settings (a bad
time is refused on its field first) and the clock's schedule reads the new time; the admin
deactivates the account and the invitee's open browser session is refused on its next page.

Nothing is mocked: the real server, the real forms (CSRF on) and real rows.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from fixtures import factories as f
from jobs.clock import load_schedule
from models.db import Database
from models.entities import OutboxMessage, Role
from models.settings import PUBLIC_BASE_URL_KEY

from . import E2E, collect_console_errors, sign_in

pytestmark = E2E

INVITEE = "rosa.mejia@legalaid.example"
INVITEE_PASSWORD = "seven quiet harbours at dawn"
SCREENSHOT = "/tmp/e2e_admin_users.png"


def _invitation(db: Database) -> OutboxMessage:
    with db.session() as session:
        [message] = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "invite", OutboxMessage.to_address == INVITEE
            )
        ).all()
        session.expunge_all()
        return message


BAD_REQUEST = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"


def _move_the_nightly_match(page: Page, db: Database, problems: list[str]) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    nightly = page.get_by_label("Nightly match")
    expect(nightly).to_have_value("03:30")
    nightly.fill("25:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-setting='schedule.nightly_match']")).to_contain_text("HH:MM")
    assert load_schedule(db).nightly_match["hour"] == "3"  # refused: nothing saved
    problems.remove(BAD_REQUEST)  # the refusal's own status, which Chromium logs as an error
    page.get_by_label("Nightly match").fill("01:15")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Nightly match (03:30 → 01:15)")
    history = page.locator("table.settings-history tbody tr").first
    expect(history.locator("[data-new]")).to_have_text("01:15")
    assert (load_schedule(db).nightly_match["hour"], load_schedule(db).nightly_match["minute"]) == (
        "1",
        "15",
    )


def test_admin_invites_a_coordinator_changes_the_schedule_and_deactivates_the_account(
    page: Page, browser: Browser, live_server: str, db: Database, factories
):
    f.UserFactory(role=Role.ADMIN, email="admin@example.org")
    f.SettingFactory(key=PUBLIC_BASE_URL_KEY, value=live_server)
    factories.commit()
    problems: list[str] = []
    collect_console_errors(page, problems)

    # --- the admin invites a coordinator ------------------------------------------------------
    sign_in(page, "admin@example.org", f.FACTORY_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill(INVITEE)
    invite.get_by_label("Role").select_option(label="Coordinator")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Invitation sent to {INVITEE}; the link works for 72 hours."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(INVITEE)
    expect(page.locator("[data-status]").first).to_have_text("Invited, no password yet")
    link = re.search(r"https?://\S+", _invitation(db).body)
    assert link is not None and link.group(0).startswith(live_server + "/reset/")

    # --- the invitee, in a browser of their own -----------------------------------------------
    context = browser.new_context(base_url=live_server)
    try:
        invitee = context.new_page()
        collect_console_errors(invitee, problems)
        invitee.goto(link.group(0))
        expect(invitee.get_by_role("heading", level=1)).to_have_text("Choose your password")
        for password in ("Password1234", INVITEE_PASSWORD):
            invitee.get_by_label("New password", exact=True).fill(password)
            invitee.get_by_label("New password again", exact=True).fill(password)
            invitee.get_by_role("button", name="Save the password").click()
            if password != INVITEE_PASSWORD:  # the common one is refused, on its field
                expect(invitee.locator("#password-error")).to_contain_text(
                    "one of the most common passwords"
                )
        expect(invitee).to_have_url(re.compile(r"/login$"))
        expect(invitee.get_by_role("status")).to_contain_text("Your password is saved.")
        sign_in(invitee, INVITEE, INVITEE_PASSWORD)
        invitee.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Review queue"
        ).click()
        expect(invitee).to_have_url(re.compile(r"/review$"))

        # --- the admin moves the nightly match ------------------------------------------------
        _move_the_nightly_match(page, db, problems)

        # --- the admin deactivates the account from its row -----------------------------------
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
        row = page.locator("tr", has_text=INVITEE)
        expect(row.locator("[data-status]")).to_have_text("Active")
        row.get_by_role("button", name=f"Deactivate {INVITEE}").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"{INVITEE} is deactivated; 1 open session ended. Its history stays."
        )
        expect(page.locator("tr", has_text=INVITEE).locator("[data-status]")).to_have_text(
            "Deactivated"
        )
        page.screenshot(path=SCREENSHOT, full_page=True)

        # The invitee's open browser is refused on its very next page.
        invitee.reload()
        expect(invitee).to_have_url(re.compile(r"/login\?next=%2Freview$"))
        expect(invitee.get_by_role("banner")).not_to_contain_text(INVITEE)
    finally:
        context.close()
    assert problems == []
