"""The one settings object: organisation settings stored in the database, with defaults in code.

Every setting the engine, the jobs and the pages read is declared once below, as a `SettingSpec`
(name, label, meaning, unit, default, allowed range, how typed text is read and how a stored
value is checked), and listed in `registry()`, which the admin page (/admin/settings), the README
table (checked by a test) and the readers share. Each reader (`offer_timing`,
`solver_time_limit_s`, `load_match_settings`, `schedule_setting`, ...) reads its numbers through
its spec, so a value is checked the same way wherever it is read, and a stored value out of range
stops the reader with a message naming the setting rather than running on it.

Values live in the `settings` table, one row per key (JSON); some rows hold several settings by
part (`match.weights`: one entry per weight; `schedule`: the time zone and one entry per job).
The interpreter languages are the `interpreter_available` flag of the language catalogue.
Changing settings, with the audit trail, is `models.setting_changes`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from matcher.problem import DEFAULT_INTERPRETER_LANGUAGES, MatchSettings
from matcher.solve import DEFAULT_TIME_LIMIT_S

from .setting_kinds import (
    LanguageList,
    MinuteOfHour,
    Number,
    SettingInvalid,
    SettingSpec,
    TimeOfDay,
    TimeZone,
    WebAddress,
    WholeNumber,
    YesNo,
)
from .setting_kinds import get_setting as get_setting
from .setting_kinds import put_setting as put_setting

MATCH_WEIGHTS_KEY = "match.weights"
MENTORED_FOR_DETAINED_KEY = "match.mentored_for_detained"
# Seconds a run's solver may take before returning its best assignment so far.
SOLVER_TIME_LIMIT_KEY = "match.solver_time_limit_s"
INTERPRETER_LANGUAGES_KEY = "match.interpreter_languages"
# Fit points for keeping a still-eligible proposal of the previous run (DESIGN.md "Stable
# proposals"); the engine reads it from issue 12 on.
STABILITY_BONUS_KEY = "match.stability_bonus"
DEFAULT_STABILITY_BONUS = 5.0
# When the clock's jobs run: one row, with the time zone and one entry per job (APScheduler
# cron fields, e.g. {"hour": "3", "minute": "30", "second": "0"}).
SCHEDULE_KEY = "schedule"

# The weights an admin may change: every number of MatchSettings.
WEIGHT_NAMES = tuple(
    spec.name
    for spec in dataclasses.fields(MatchSettings)
    if spec.type in ("float", float) and spec.name != "distance_cap_km"
) + ("distance_cap_km",)

# --- the settings -----------------------------------------------------------------------------

SCHEDULE_TIMEZONE = TimeZone(
    name="schedule.timezone",
    key=SCHEDULE_KEY,
    part="timezone",
    label="Program time zone",
    meaning=(
        "The zone of the program's day: the jobs' times below, today's date for runs, tiers "
        "and pages."
    ),
    unit="IANA name",
    default="America/New_York",
)
NIGHTLY_MATCH_TIME = TimeOfDay(
    name="schedule.nightly_match",
    key=SCHEDULE_KEY,
    part="nightly_match",
    label="Nightly match",
    meaning="When the nightly matching run starts each day (then the recruitment targets).",
    unit="HH:MM",
    default={"hour": "3", "minute": "30", "second": "0"},
)
REPORT_SNAPSHOT_TIME = TimeOfDay(
    name="schedule.report_snapshot",
    key=SCHEDULE_KEY,
    part="report_snapshot",
    label="Daily report snapshot",
    meaning="When the day's counts for the trend reports are taken.",
    unit="HH:MM",
    default={"hour": "4", "minute": "30", "second": "0"},
)
DIGEST_TIME = TimeOfDay(
    name="schedule.coordinator_digest",
    key=SCHEDULE_KEY,
    part="coordinator_digest",
    label="Coordinators' daily digest",
    meaning="When coordinators are e-mailed the day's newly urgent children and lapsed offers.",
    unit="HH:MM",
    default={"hour": "7", "minute": "0", "second": "0"},
)
RETENTION_TIME = TimeOfDay(
    name="schedule.retention",
    key=SCHEDULE_KEY,
    part="retention",
    label="Daily retention erasure",
    meaning="When the personal data of cases closed longer ago than the retention are erased.",
    unit="HH:MM",
    default={"hour": "5", "minute": "0", "second": "0"},
)
OFFER_CLOCK_MINUTE = MinuteOfHour(
    name="schedule.offer_clock",
    key=SCHEDULE_KEY,
    part="offer_clock",
    label="Offer clock, minute past each hour",
    meaning="When, each hour, offers awaiting an answer get their reminder or expire.",
    unit="minute",
    default={"minute": "15", "second": "0"},
)

# Retention (DESIGN.md "Administration and privacy"): closed cases' personal data are erased
# this many whole years after the case closed.
RETENTION_YEARS_KEY = "privacy.retention_years"
DEFAULT_RETENTION_YEARS = 7
RETENTION_YEARS = WholeNumber(
    name=RETENTION_YEARS_KEY,
    label="Retention after a case closes",
    meaning=(
        "Whole years after a case closes before the child's personal data (name, A-number, "
        "birth date) are erased; reports keep anonymous counts."
    ),
    unit="years",
    default=DEFAULT_RETENTION_YEARS,
    minimum=1,
    maximum=50,
)

INTERPRETER_LANGUAGES = LanguageList(
    name=INTERPRETER_LANGUAGES_KEY,
    label="Interpreter languages",
    meaning=(
        "Languages the program can provide an interpreter for: a child whose primary language "
        "is one of them may be paired with an attorney who does not speak it. Separate them "
        "with semicolons; leave empty for none."
    ),
    unit="languages",
    default=DEFAULT_INTERPRETER_LANGUAGES,
)
MENTORED_FOR_DETAINED = YesNo(
    name=MENTORED_FOR_DETAINED_KEY,
    label="Mentored volunteers also for detained children",
    meaning=(
        "An attorney at the mentored level (a volunteer who takes the case with a staff mentor) "
        "counts for children who are not detained. Yes: also for detained children."
    ),
    unit="yes/no",
    default=False,
)
SOLVER_TIME_LIMIT = Number(
    name=SOLVER_TIME_LIMIT_KEY,
    label="Solver time limit",
    meaning=(
        "How long each run (nightly, Run now, the command line) lets the solver search before "
        "it keeps its best assignment so far."
    ),
    unit="seconds",
    default=DEFAULT_TIME_LIMIT_S,
    minimum=1,
    maximum=3600,
)
STABILITY_BONUS = Number(
    name=STABILITY_BONUS_KEY,
    label="Stable-proposal bonus",
    meaning=(
        "Fit points for keeping a proposal of the previous run that is still eligible, so a "
        "review queue is not reshuffled; never worth a child, in any tier. 0 turns it off."
    ),
    unit="points",
    default=DEFAULT_STABILITY_BONUS,
    minimum=0,
    maximum=100,
)

_WEIGHT_DEFAULTS = MatchSettings()
# label, meaning, unit, minimum, maximum of each weight of MatchSettings.
_WEIGHT_TEXTS: dict[str, tuple[str, str, str, float, float]] = {
    "language_native": (
        "Shared language: native",
        "Fit points when the attorney speaks one of the child's languages natively.",
        "points",
        0,
        1000,
    ),
    "language_fluent": (
        "Shared language: fluent",
        "Fit points when the attorney speaks one of the child's languages fluently.",
        "points",
        0,
        1000,
    ),
    "language_working": (
        "Shared language: working",
        "Fit points when the attorney speaks one of the child's languages at working level.",
        "points",
        0,
        1000,
    ),
    "language_interpreter": (
        "Interpreter instead",
        "Fit points when the pair needs an interpreter for the child's primary language.",
        "points",
        0,
        1000,
    ),
    "expertise_expert": (
        "Expertise: expert",
        "Fit points when the attorney is an expert in the child's case type.",
        "points",
        0,
        1000,
    ),
    "expertise_experienced": (
        "Expertise: experienced",
        "Fit points when the attorney is experienced in the child's case type.",
        "points",
        0,
        1000,
    ),
    "expertise_mentored": (
        "Expertise: mentored",
        "Fit points when the attorney takes the case type with a staff mentor.",
        "points",
        0,
        1000,
    ),
    "distance_per_100km": (
        "Distance cost",
        "Fit points lost per 100 km from the attorney's home to the child's court.",
        "points per 100 km",
        0,
        1000,
    ),
    "tender_age": (
        "Tender age",
        "Fit points for placing a child under 13.",
        "points",
        0,
        1000,
    ),
    "load_per_case": (
        "Load-balancing cost",
        "The k-th new case of an attorney carrying L cases costs this many points times "
        "(L + k - 1), so cases spread when fit is otherwise equal.",
        "points",
        0,
        1000,
    ),
    "distance_cap_km": (
        "Distance counted up to",
        "Distance beyond this costs no more (an attorney without a home location counts as "
        "this far).",
        "km",
        1,
        5000,
    ),
}
_missing = set(WEIGHT_NAMES) - set(_WEIGHT_TEXTS)
if _missing:  # a new MatchSettings weight needs its label here before the page can show it
    raise RuntimeError(f"models.settings: no label for the weights {sorted(_missing)}")

WEIGHTS: dict[str, Number] = {
    name: Number(
        name=f"{MATCH_WEIGHTS_KEY}.{name}",
        key=MATCH_WEIGHTS_KEY,
        part=name,
        label=_WEIGHT_TEXTS[name][0],
        meaning=_WEIGHT_TEXTS[name][1],
        unit=_WEIGHT_TEXTS[name][2],
        default=float(getattr(_WEIGHT_DEFAULTS, name)),
        minimum=_WEIGHT_TEXTS[name][3],
        maximum=_WEIGHT_TEXTS[name][4],
    )
    for name in WEIGHT_NAMES
}


# The offer clock (DESIGN.md "Offers"): a reminder after so many days without an answer, expiry
# after so many, and how long an expired pair is kept out of the runs.
OFFER_REMINDER_DAYS_KEY = "offers.reminder_days"
OFFER_EXPIRY_DAYS_KEY = "offers.expiry_days"
EXPIRED_PAIR_PAUSE_DAYS_KEY = "offers.expired_pair_pause_days"

OFFER_REMINDER_DAYS = WholeNumber(
    name=OFFER_REMINDER_DAYS_KEY,
    label="Offer reminder",
    meaning="Days without an answer after which the attorney is reminded of an offer, once.",
    unit="days",
    default=2,
    minimum=1,
    maximum=30,
)
OFFER_EXPIRY_DAYS = WholeNumber(
    name=OFFER_EXPIRY_DAYS_KEY,
    label="Offer expiry",
    meaning=(
        "Days without an answer after which an offer expires: the slot is freed and the child "
        "returns to the next run. More than the reminder's days."
    ),
    unit="days",
    default=5,
    minimum=2,
    maximum=60,
)
EXPIRED_PAIR_PAUSE_DAYS = WholeNumber(
    name=EXPIRED_PAIR_PAUSE_DAYS_KEY,
    label="Expired pair pause",
    meaning="Days during which a child and attorney whose offer expired are not proposed again.",
    unit="days",
    default=30,
    minimum=1,
    maximum=365,
)


def offer_clock_problem(reminder_days: int, expiry_days: int) -> str | None:
    """Why a reminder after `reminder_days` and expiry after `expiry_days` do not go together."""
    if reminder_days >= expiry_days:
        return (
            f"The reminder ({reminder_days} days) must come before the expiry "
            f"({expiry_days} days): make it fewer days, or the expiry more."
        )
    return None


# The address of the web app as people reach it, for the links e-mails carry.
DATES_DAY_FIRST_KEY = "imports.dates_day_first"
DATES_DAY_FIRST = YesNo(
    name=DATES_DAY_FIRST_KEY,
    label="Slash dates day first",
    meaning=(
        "How an imported spreadsheet's dates written with slashes are read: month first, as in "
        "the US (3/14/2026). Yes: day first (14/3/2026), for programs outside the US. "
        "YYYY-MM-DD is always accepted; a two-digit year never is."
    ),
    unit="yes/no",
    default=False,
)

PUBLIC_BASE_URL_KEY = "app.base_url"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"

PUBLIC_BASE_URL = WebAddress(
    name=PUBLIC_BASE_URL_KEY,
    label="Public web address",
    meaning=(
        "The address people open the app at; every link in an e-mail starts with it (never "
        "the request's Host header)."
    ),
    unit="URL",
    default=DEFAULT_PUBLIC_BASE_URL,
)


@dataclasses.dataclass(frozen=True)
class Section:
    """Settings shown together on the page, with when a change to them takes effect."""

    title: str
    takes_effect: str
    settings: tuple[SettingSpec[Any], ...]


@functools.cache
def registry() -> tuple[Section, ...]:
    """Every setting, by section, in the order the page and the README show them."""
    return (
        Section(
            "Schedule",
            "The clock process reads the schedule every minute: a change moves the next run.",
            (
                SCHEDULE_TIMEZONE,
                NIGHTLY_MATCH_TIME,
                REPORT_SNAPSHOT_TIME,
                DIGEST_TIME,
                RETENTION_TIME,
                OFFER_CLOCK_MINUTE,
            ),
        ),
        Section(
            "Matching rules",
            "Read by each run when it starts: the next run (nightly or Run now) uses them.",
            (INTERPRETER_LANGUAGES, MENTORED_FOR_DETAINED, SOLVER_TIME_LIMIT, STABILITY_BONUS),
        ),
        Section(
            "Fit weights",
            "Read by each run when it starts: the next run (nightly or Run now) uses them.",
            tuple(WEIGHTS[name] for name in WEIGHT_NAMES),
        ),
        Section(
            "Offers",
            "Read by the hourly offer clock and by each run: its next pass uses them.",
            (OFFER_REMINDER_DAYS, OFFER_EXPIRY_DAYS, EXPIRED_PAIR_PAUSE_DAYS),
        ),
        Section(
            "Privacy",
            "Read by the daily retention job: its next pass uses it.",
            (RETENTION_YEARS,),
        ),
        Section(
            "Spreadsheets",
            "Read by each import (command line or upload) when it starts.",
            (DATES_DAY_FIRST,),
        ),
        Section(
            "Site",
            "Read whenever an e-mail is written: the next e-mail uses it.",
            (PUBLIC_BASE_URL,),
        ),
    )


def all_settings() -> tuple[SettingSpec[Any], ...]:
    return tuple(spec for section in registry() for spec in section.settings)


def setting_named(name: str) -> SettingSpec[Any] | None:
    return next((spec for spec in all_settings() if spec.name == name), None)


# --- the readers ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OfferTiming:
    reminder_days: int = OFFER_REMINDER_DAYS.default
    expiry_days: int = OFFER_EXPIRY_DAYS.default
    expired_pair_pause_days: int = EXPIRED_PAIR_PAUSE_DAYS.default


def offer_deadline(offered_at: datetime | None, expiry_days: int) -> datetime | None:
    """When an offer made at `offered_at` lapses without an answer (None: no offer time known)."""
    return None if offered_at is None else offered_at + timedelta(days=expiry_days)


def offer_timing(session: Session) -> OfferTiming:
    """The offer clock as the organisation has set it (whole numbers of days)."""
    timing = OfferTiming(
        reminder_days=OFFER_REMINDER_DAYS.read(session),
        expiry_days=OFFER_EXPIRY_DAYS.read(session),
        expired_pair_pause_days=EXPIRED_PAIR_PAUSE_DAYS.read(session),
    )
    problem = offer_clock_problem(timing.reminder_days, timing.expiry_days)
    if problem:
        raise SettingInvalid(OFFER_REMINDER_DAYS_KEY, f"The offer settings: {problem}")
    return timing


def public_base_url(session: Session) -> str:
    """The web app's address for links in e-mails (no trailing slash), e.g. https://cm.example."""
    return PUBLIC_BASE_URL.read(session)


def interpreter_languages(session: Session) -> frozenset[str]:
    """Codes of the languages for which the organisation can provide an interpreter."""
    return INTERPRETER_LANGUAGES.read(session)


def load_match_settings(session: Session) -> MatchSettings:
    """The engine's settings as the organisation has set them (unknown stored keys are ignored)."""
    weights = get_setting(session, MATCH_WEIGHTS_KEY, None)
    return MatchSettings(
        **{name: WEIGHTS[name].read_in(weights) for name in WEIGHT_NAMES},
        interpreter_languages=interpreter_languages(session),
        mentored_for_detained=MENTORED_FOR_DETAINED.read(session),
    )


def solver_time_limit_s(session: Session) -> float:
    """The seconds every run (nightly, command line, Run now) gives the solver by default."""
    return SOLVER_TIME_LIMIT.read(session)


def stability_bonus(session: Session) -> float:
    """Fit points for keeping a still-eligible proposal of the previous run (0 to 100)."""
    return STABILITY_BONUS.read(session)


@dataclasses.dataclass(frozen=True)
class ScheduleSetting:
    """The `schedule` setting as read: the zone and each job's cron fields."""

    timezone: str
    nightly_match: dict[str, str]
    report_snapshot: dict[str, str]
    offer_clock: dict[str, str]
    coordinator_digest: dict[str, str]
    retention: dict[str, str]


def schedule_setting(session: Session) -> ScheduleSetting:
    """When the clock's jobs run, as the organisation has set it (jobs.clock.load_schedule)."""
    return ScheduleSetting(
        timezone=SCHEDULE_TIMEZONE.read(session),
        nightly_match=NIGHTLY_MATCH_TIME.read(session),
        report_snapshot=REPORT_SNAPSHOT_TIME.read(session),
        offer_clock=OFFER_CLOCK_MINUTE.read(session),
        coordinator_digest=DIGEST_TIME.read(session),
        retention=RETENTION_TIME.read(session),
    )


def stored_texts(session: Session) -> Mapping[str, str]:
    """Every setting's current value as its field holds it, by name (for the page)."""
    return {spec.name: spec.text(session, spec.stored(session)) for spec in all_settings()}


def dates_day_first(session: Session) -> bool:
    return DATES_DAY_FIRST.read(session)


def retention_years(session: Session) -> int:
    """Whole years after a case closes before its child's personal data are erased (1 to 50)."""
    return RETENTION_YEARS.read(session)
