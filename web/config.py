"""Configuration from the environment, failing fast where production needs a value."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from jobs.mailer import MailSettings
from jobs.runlock import DEFAULT_STALE_AFTER_S

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    pass


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings for one app: COUNSELMATCH_ENV, SECRET_KEY, DATABASE_URL,
    COUNSELMATCH_LOCK_STALE_S, SMTP_URL, SMTP_FROM (see README)."""
    overrides = overrides or {}
    env = overrides.get("ENV_NAME") or os.environ.get("COUNSELMATCH_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"COUNSELMATCH_ENV={env!r}: use one of {', '.join(ENVIRONMENTS)}")
    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret_key:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_hex(32))'); for local use "
                "set COUNSELMATCH_ENV=development."
            )
        secret_key = secrets.token_hex(32)
    default_db = "sqlite:///" + str(Path(instance_path) / "counselmatch.sqlite3")
    config: dict[str, Any] = {
        "ENV_NAME": env,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "TESTING": env == "testing",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        "PAGE_SIZE": 50,
        # Every process (web, clock, command line) builds its app, so runs take the lock with this.
        "LOCK_STALE_S": _positive_seconds("COUNSELMATCH_LOCK_STALE_S", DEFAULT_STALE_AFTER_S),
        # Where e-mail goes (jobs/mailer.py); unset: messages stay queued, shown at /admin/outbox.
        "SMTP_URL": os.environ.get("SMTP_URL") or None,
        "SMTP_FROM": os.environ.get("SMTP_FROM") or None,
    }
    config.update(overrides)
    if "MAIL" not in overrides:
        config["MAIL"] = _mail_settings(config["SMTP_URL"], config["SMTP_FROM"], env)
    return config


def _mail_settings(url: str | None, sender: str | None, env: str) -> MailSettings | None:
    """SMTP_URL and SMTP_FROM, checked now so a mistake stops the start, not the first e-mail."""
    if not url:
        return None
    if not sender:
        if env == "production":
            raise ConfigError(
                "SMTP_URL is set but SMTP_FROM is not: set it to the sender address, such as "
                "'Counsel Match <no-reply@example.org>'."
            )
        sender = "Counsel Match <counselmatch@localhost>"
    try:
        return MailSettings.from_url(url, sender)
    except ValueError as problem:
        # The URL may hold a password: name the variable, not its value.
        raise ConfigError(f"SMTP_URL or SMTP_FROM cannot be used: {problem}.") from None


def _positive_seconds(variable: str, default: float) -> float:
    """A number of seconds from the environment, or `default` when the variable is not set."""
    written = os.environ.get(variable)
    if written is None:
        return default
    try:
        seconds = float(written)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigError(f"{variable}={written!r}: use a positive number of seconds, such as 60.")
    return seconds
