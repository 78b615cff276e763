"""The one settings object: organisation settings stored in the database, with defaults in code."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.problem import MatchSettings
from matcher.solve import DEFAULT_TIME_LIMIT_S

from .entities import Language, Setting

MATCH_WEIGHTS_KEY = "match.weights"
MENTORED_FOR_DETAINED_KEY = "match.mentored_for_detained"
# Seconds a run's solver may take before returning its best assignment so far.
SOLVER_TIME_LIMIT_KEY = "match.solver_time_limit_s"

# The weights an admin may change: every number of MatchSettings.
WEIGHT_NAMES = tuple(
    spec.name
    for spec in dataclasses.fields(MatchSettings)
    if spec.type in ("float", float) and spec.name != "distance_cap_km"
) + ("distance_cap_km",)


# The offer clock (DESIGN.md "Offers"): a reminder after so many days without an answer, expiry
# after so many, and how long an expired pair is kept out of the runs.
OFFER_REMINDER_DAYS_KEY = "offers.reminder_days"
OFFER_EXPIRY_DAYS_KEY = "offers.expiry_days"
EXPIRED_PAIR_PAUSE_DAYS_KEY = "offers.expired_pair_pause_days"


@dataclasses.dataclass(frozen=True)
class OfferTiming:
    reminder_days: int = 2
    expiry_days: int = 5
    expired_pair_pause_days: int = 30


def offer_deadline(offered_at: datetime | None, expiry_days: int) -> datetime | None:
    """When an offer made at `offered_at` lapses without an answer (None: no offer time known)."""
    return None if offered_at is None else offered_at + timedelta(days=expiry_days)


def offer_timing(session: Session) -> OfferTiming:
    """The offer clock as the organisation has set it (each a whole number of days, >= 1)."""
    default = OfferTiming()
    days = {}
    for key, name in (
        (OFFER_REMINDER_DAYS_KEY, "reminder_days"),
        (OFFER_EXPIRY_DAYS_KEY, "expiry_days"),
        (EXPIRED_PAIR_PAUSE_DAYS_KEY, "expired_pair_pause_days"),
    ):
        value = get_setting(session, key, getattr(default, name))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"The {key} setting is {value!r}: set it to a whole number of days, 1 or more "
                f"(default {getattr(default, name)})."
            )
        days[name] = value
    return OfferTiming(**days)


# The address of the web app as people reach it, for the links e-mails carry.
PUBLIC_BASE_URL_KEY = "app.base_url"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"


def public_base_url(session: Session) -> str:
    """The web app's address for links in e-mails (no trailing slash), e.g. https://cm.example."""
    value = get_setting(session, PUBLIC_BASE_URL_KEY, DEFAULT_PUBLIC_BASE_URL)
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError(
            f"The {PUBLIC_BASE_URL_KEY} setting is {value!r}: set it to the address people open "
            f"the app at, such as https://counselmatch.example.org (default "
            f"{DEFAULT_PUBLIC_BASE_URL})."
        )
    return value.rstrip("/")


def set_public_base_url(session: Session, url: str) -> str:
    """Store the web app's address for e-mailed links, checked as `public_base_url` reads it:
    http(s), a host, no query, fragment, spaces or control characters; returns it as stored."""
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(ch.isspace() or ord(ch) < 32 for ch in url.strip())
        or len(url) > 200
    ):
        raise ValueError(
            f"{url!r} is not a web address people can open: give one such as "
            "https://counselmatch.example.org (http or https, a host, no query)."
        )
    value = url.strip().rstrip("/")
    put_setting(session, PUBLIC_BASE_URL_KEY, value)
    return value


def get_setting(session: Session, key: str, default: Any) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def interpreter_languages(session: Session) -> frozenset[str]:
    """Codes of the languages for which the organisation can provide an interpreter."""
    return frozenset(
        session.scalars(select(Language.code).where(Language.interpreter_available.is_(True)))
    )


def load_match_settings(session: Session) -> MatchSettings:
    """The engine's settings as the organisation has set them (unknown stored keys are ignored)."""
    weights = get_setting(session, MATCH_WEIGHTS_KEY, {})
    chosen = {name: float(weights[name]) for name in WEIGHT_NAMES if name in weights}
    return MatchSettings(
        **chosen,
        interpreter_languages=interpreter_languages(session),
        mentored_for_detained=bool(get_setting(session, MENTORED_FOR_DETAINED_KEY, False)),
    )


def solver_time_limit_s(session: Session) -> float:
    """The seconds every run (nightly, command line, Run now) gives the solver by default."""
    value = get_setting(session, SOLVER_TIME_LIMIT_KEY, DEFAULT_TIME_LIMIT_S)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(
            f"The {SOLVER_TIME_LIMIT_KEY} setting is {value!r}: set it to a positive number of "
            f"seconds (default {DEFAULT_TIME_LIMIT_S:g})."
        )
    return float(value)


# Retention (DESIGN.md "Administration and privacy"): closed cases' personal data are erased
# this many whole years after the case closed.
RETENTION_YEARS_KEY = "privacy.retention_years"
DEFAULT_RETENTION_YEARS = 7


def retention_years(session: Session) -> int:
    """Whole years after a case closes before its child's personal data are erased (1 to 50)."""
    value = get_setting(session, RETENTION_YEARS_KEY, DEFAULT_RETENTION_YEARS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50:
        raise ValueError(
            f"The {RETENTION_YEARS_KEY} setting is {value!r}: set it to a whole number of years "
            f"from 1 to 50 (default {DEFAULT_RETENTION_YEARS})."
        )
    return value
