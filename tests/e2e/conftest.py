"""Real headless Chromium (Playwright, sync API) against a real server on 127.0.0.1.

Every e2e module sets `pytestmark = E2E` (from tests.e2e): the `e2e` marker, and the SQLite
backend only, since the browser adds nothing the PostgreSQL runs of tests/web do not cover.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from models.db import Database
from web import create_app

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def live_app(db: Database) -> Iterator[Flask]:
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": db.url})
    yield app
    app.extensions["counselmatch_db"].dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """The app served by werkzeug in a thread on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    yield page
    context.close()
