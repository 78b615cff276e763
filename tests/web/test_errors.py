"""Error pages and configuration that fails fast."""

from __future__ import annotations

import logging

import pytest

from web import create_app
from web.config import ConfigError, load_config


def test_404_page(client):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html
    assert '<html lang="en">' in html


def test_500_page_tells_nothing_of_the_error(app, client, caplog):
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("internal detail: table children, row 4711")

    # Testing apps re-raise errors for the test to see; a real server turns them into a page.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html
    assert "internal detail" not in html and "4711" not in html
    assert "Traceback" not in html and "RuntimeError" not in html
    # ... while the log keeps it for whoever runs the server.
    assert any("internal detail" in str(record.exc_info[1]) for record in caplog.records)


def test_unknown_methods_get_a_page_too(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "Method Not Allowed" in response.get_data(as_text=True)


def test_production_without_secret_key_fails_fast(db, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": db.url})


def test_production_is_the_default_environment(db, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("COUNSELMATCH_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", db.url)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_unknown_environment_is_refused(db):
    with pytest.raises(ConfigError, match="use one of production, development, testing"):
        create_app({"ENV_NAME": "staging", "DATABASE_URL": db.url})


def test_lock_staleness_comes_from_the_environment(monkeypatch):
    testing = {"ENV_NAME": "testing", "DATABASE_URL": "sqlite://"}
    monkeypatch.delenv("COUNSELMATCH_LOCK_STALE_S", raising=False)
    assert load_config("instance", testing)["LOCK_STALE_S"] == 60.0
    monkeypatch.setenv("COUNSELMATCH_LOCK_STALE_S", "15")
    assert load_config("instance", testing)["LOCK_STALE_S"] == 15.0
    for written in ("soon", "0", "-1", "nan"):
        monkeypatch.setenv("COUNSELMATCH_LOCK_STALE_S", written)
        with pytest.raises(ConfigError, match="COUNSELMATCH_LOCK_STALE_S=.*positive number"):
            load_config("instance", testing)


def test_production_sends_secure_cookies_and_hsts(db):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 64, "DATABASE_URL": db.url})
    try:
        response = app.test_client().get("/login")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "Secure" in response.headers["Set-Cookie"]
        assert "HttpOnly" in response.headers["Set-Cookie"]
    finally:
        app.extensions["counselmatch_db"].dispose()
