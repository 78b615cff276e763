import pytest
from playwright.sync_api import Page, expect

# Marks for every e2e module (`pytestmark = E2E`): the marker, and the SQLite backend only.
E2E = [pytest.mark.e2e, pytest.mark.parametrize("database", ["sqlite"], indirect=True)]


def collect_console_errors(page: Page, problems: list[str]) -> None:
    """Append every error the page's console reports to `problems` (a test ends asserting none)."""
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the form and wait until the banner names the account."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_contain_text(email)
