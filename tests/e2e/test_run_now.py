"""Run now in Chromium with a real clock process: the coordinator clicks, the page waits for the
clock, reloads itself while the run solves, and shows the finished statistics."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from fixtures import factories as f
from models.base import utcnow
from models.db import Database
from models.entities import Role

from . import E2E, collect_console_errors, sign_in

pytestmark = E2E

CLOCK_READY_S = 60  # the process imports the engine and builds its schedule first
RUN_SHOWN_MS = 30_000  # the clock picks a request up within 5 s; the run takes well under 1 s


@pytest.fixture
def clock(db: Database, factories, tmp_path: Path) -> Iterator[Path]:
    """A real `counselmatch scheduler` on the test database, stopped afterwards; yields the
    file its output goes to."""
    f.MatchRunFactory(started_at=utcnow())  # a run today: no catch-up of a missed night
    factories.commit()
    output = tmp_path / "clock.log"
    env = {**os.environ, "COUNSELMATCH_ENV": "testing", "DATABASE_URL": db.url}
    with output.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from web.cli import cli; cli()", "scheduler"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + CLOCK_READY_S
        while "clock scheduled" not in output.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, output.read_text()
            time.sleep(0.2)
        assert "clock scheduled" in output.read_text(), output.read_text()
        yield output
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_run_now_is_run_by_the_clock_and_the_page_follows_it(page: Page, factories, clock):
    soon = date.today() + timedelta(days=5)
    for _ in range(3):
        f.ChildFactory(next_hearing_date=soon)
    f.AttorneyFactory(capacity=2)
    f.UserFactory(role=Role.COORDINATOR, email="coordinator@example.org")
    factories.commit()
    problems: list[str] = []
    collect_console_errors(page, problems)

    sign_in(page, "coordinator@example.org", f.FACTORY_PASSWORD)
    page.goto("/runs")
    page.get_by_role("button", name="Run now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Run 2")
    expect(page.get_by_text("Run 2 requested: the clock process starts it")).to_be_visible()
    # No reload by hand: the page reloads itself until the clock has run it.
    result = page.get_by_role("heading", name="Result")
    expect(result).to_be_visible(timeout=RUN_SHOWN_MS)
    expect(page.locator(".lede")).to_contain_text("Succeeded")
    expect(page.locator('[data-count="matched-T1"]')).to_have_text("2")
    expect(page.get_by_role("link", name="Stop reloading")).to_have_count(0)
    assert problems == []
    assert "requested run done run_id=2" in clock.read_text()
