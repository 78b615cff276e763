"""The kinds of setting (a whole number, a number, yes/no, a time zone, a time of day, a minute
past the hour, a web address, a list of languages): how each is stored, checked when read, read
from what a person typed, and shown. The settings themselves are declared in `models.settings`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import re
import zoneinfo
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .csv_formats import LIST_SEPARATOR
from .entities import Language, Setting

T = TypeVar("T")

# The longest text a setting's field reads (a list of languages is longer than a number).
MAX_TYPED_CHARS = 200
MAX_LANGUAGES_CHARS = 2000
# What APScheduler's CronTrigger accepts as fields (a stored schedule entry may use any of them).
CRON_FIELDS = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")


class SettingInvalid(ValueError):
    """A value for one setting that cannot be used: the setting's name and what to do."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def get_setting(session: Session, key: str, default: Any) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def unreadable(typed: str, limit: int) -> str | None:
    """Why typed text cannot be read at all (a NUL character, far too long), else None."""
    if "\x00" in typed:
        return "Remove the invisible NUL character from what you typed."
    if len(typed) > limit:
        return f"Too long: {len(typed)} characters, at most {limit}."
    return None


# --- the kinds of setting ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SettingSpec(Generic[T]):
    """One setting: where it is stored, what it means, its default and what it may be.

    name: how people, the audit trail and the README call it (the row key, or key.part);
    key/part: the `settings` row and, for a row holding several settings, the entry in it.
    """

    name: str
    label: str
    meaning: str
    unit: str
    default: T
    key: str = ""
    part: str | None = None
    max_chars: int = MAX_TYPED_CHARS

    @property
    def row_key(self) -> str:
        return self.key or self.name

    @property
    def field_name(self) -> str:
        """The form field (and HTML id) of the setting."""
        return self.name.replace(".", "-")

    def allowed(self) -> str:
        """The allowed values, for the page and the README (e.g. "1 to 30")."""
        raise NotImplementedError

    def requirement(self) -> str:
        """What a value must be, as the end of "set it to ..."."""
        raise NotImplementedError

    def valid(self, value: object) -> bool:
        """Whether a stored value may be used as it is."""
        raise NotImplementedError

    def parse_text(self, session: Session, typed: str) -> T:
        """The value `typed` (stripped, readable) means; SettingInvalid with a message for the
        field otherwise."""
        raise NotImplementedError

    def plain(self, value: object) -> str:
        """A value as people read and type it."""
        return str(value)

    def to_stored(self, value: T) -> Any:
        """A value as the `settings` row holds it (JSON)."""
        return value

    def parse(self, session: Session, typed: str) -> T:
        """Read what a person typed for this setting; SettingInvalid (for the field) if unusable."""
        problem = unreadable(typed, self.max_chars)
        if problem:
            raise SettingInvalid(self.name, problem)
        return self.parse_text(session, typed.strip())

    def refuse(self, message: str) -> SettingInvalid:
        return SettingInvalid(self.name, message)

    def check(self, value: object) -> T:
        """A stored value, checked; SettingInvalid naming the setting when it cannot be used."""
        if not self.valid(value):
            raise self.refuse(
                f"The {self.name} setting is {value!r}: set it to {self.requirement()} "
                f"(default {self.plain(self.default)})."
            )
        return self.cast(value)

    def cast(self, value: object) -> T:
        """A valid stored value as the readers use it."""
        return value  # type: ignore[return-value]

    def stored(self, session: Session) -> Any:
        """The value as stored (unchecked), or the default's stored form when nothing is."""
        return self.stored_in(get_setting(session, self.row_key, None))

    def stored_in(self, row: Any) -> Any:
        """The value as stored in `row` (the setting's row as read, or None when there is none)."""
        if self.part is None:
            return self.to_stored(self.default) if row is None else row
        if isinstance(row, dict) and self.part in row:
            return row[self.part]
        if row is not None and not isinstance(row, dict):
            raise self.refuse(
                f"The {self.row_key} setting is {row!r}: it must hold one entry per setting "
                f"(such as {self.part!r}); set {self.name} on /admin/settings."
            )
        return self.to_stored(self.default)

    def read(self, session: Session) -> T:
        """The setting as the organisation has set it (or its default), checked."""
        return self.check(self.stored(session))

    def read_in(self, row: Any) -> T:
        """As `read`, from the row already read (settings that share one row read it once)."""
        return self.check(self.stored_in(row))

    def write(self, session: Session, value: T) -> None:
        """Store a value (parsed by `parse`: already checked). The caller audits the change."""
        if self.part is None:
            put_setting(session, self.row_key, self.to_stored(value))
            return
        row = get_setting(session, self.row_key, None)
        entries = dict(row) if isinstance(row, dict) else {}
        entries[self.part] = self.to_stored(value)
        put_setting(session, self.row_key, entries)

    def text(self, session: Session, stored: object) -> str:
        """A stored value as the page shows it and its field holds it."""
        return self.plain(stored)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WholeNumber(SettingSpec[int]):
    minimum: int
    maximum: int

    def allowed(self) -> str:
        return f"{self.minimum} to {self.maximum}"

    def requirement(self) -> str:
        return f"a whole number of {self.unit} from {self.minimum} to {self.maximum}"

    def valid(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.minimum <= value <= self.maximum
        )

    def parse_text(self, session: Session, typed: str) -> int:
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", typed):
            raise self.refuse(
                f"Write a whole number of {self.unit} (digits only), e.g. {self.default}."
            )
        value = int(typed)
        if not self.minimum <= value <= self.maximum:
            raise self.refuse(f"Must be from {self.minimum} to {self.maximum} {self.unit}.")
        return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class Number(SettingSpec[float]):
    minimum: float
    maximum: float

    def allowed(self) -> str:
        return f"{self.minimum:g} to {self.maximum:g}"

    def requirement(self) -> str:
        return f"a number of {self.unit} from {self.minimum:g} to {self.maximum:g}"

    def valid(self, value: object) -> bool:
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and self.minimum <= value <= self.maximum
        )

    def cast(self, value: object) -> float:
        assert isinstance(value, int | float)
        return float(value)

    def plain(self, value: object) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:g}"
        return str(value)

    def parse_text(self, session: Session, typed: str) -> float:
        if not re.fullmatch(r"[+-]?([0-9]{1,12}(\.[0-9]{0,6})?|\.[0-9]{1,6})", typed):
            raise self.refuse(
                f"Write a number of {self.unit} with digits and at most one decimal point, "
                f"e.g. {self.plain(self.default)}."
            )
        value = float(typed)
        if not self.minimum <= value <= self.maximum:
            raise self.refuse(f"Must be from {self.minimum:g} to {self.maximum:g} {self.unit}.")
        return value


YES, NO = "yes", "no"


@dataclasses.dataclass(frozen=True, kw_only=True)
class YesNo(SettingSpec[bool]):
    def allowed(self) -> str:
        return "yes or no"

    def requirement(self) -> str:
        return "true or false"

    def valid(self, value: object) -> bool:
        return isinstance(value, bool)

    def plain(self, value: object) -> str:
        if isinstance(value, bool):
            return YES if value else NO
        return str(value)

    def parse_text(self, session: Session, typed: str) -> bool:
        answer = typed.lower()
        if answer not in (YES, NO):
            raise self.refuse("Choose yes or no.")
        return answer == YES


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows (zoneinfo)."""
    return frozenset(zoneinfo.available_timezones())


@dataclasses.dataclass(frozen=True, kw_only=True)
class TimeZone(SettingSpec[str]):
    def allowed(self) -> str:
        return "an IANA time zone name"

    def requirement(self) -> str:
        return "an IANA time zone name such as America/Chicago"

    def valid(self, value: object) -> bool:
        return isinstance(value, str) and value in time_zone_names()

    def parse_text(self, session: Session, typed: str) -> str:
        if typed in time_zone_names():
            return typed
        by_folded = {name.casefold(): name for name in time_zone_names()}
        if typed.casefold() in by_folded:
            return by_folded[typed.casefold()]
        close = difflib.get_close_matches(typed.casefold(), list(by_folded), n=1, cutoff=0.75)
        hint = f"Did you mean {by_folded[close[0]]}? " if close else ""
        shown = typed[:60]
        raise self.refuse(
            f"'{shown}' is not a time zone name. {hint}Write an IANA name such as "
            "America/New_York, America/Chicago, America/Denver or America/Los_Angeles."
        )


def _is_cron(value: object) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(
            key in CRON_FIELDS
            and isinstance(entry, str | int)
            and not isinstance(entry, bool)
            and str(entry) != ""
            for key, entry in value.items()
        )
    )


def _cron_text(value: object) -> str:
    """Cron fields as `name=value, ...`, for a schedule entry set outside the page."""
    if not isinstance(value, dict):
        return str(value)
    return "cron " + ", ".join(f"{key}={entry}" for key, entry in value.items())


def _digits(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TimeOfDay(SettingSpec[dict[str, str]]):
    """A daily job's time, HH:MM on the 24-hour clock in the schedule's time zone (stored as
    cron fields; an entry set to other cron fields by hand is shown and kept as it is)."""

    def allowed(self) -> str:
        return "00:00 to 23:59"

    def requirement(self) -> str:
        return "a time HH:MM on the 24-hour clock, or APScheduler cron fields"

    def valid(self, value: object) -> bool:
        return _is_cron(value)

    def plain(self, value: object) -> str:
        if isinstance(value, dict) and set(value) <= {"hour", "minute", "second"}:
            hour, minute = _digits(value.get("hour")), _digits(value.get("minute"))
            second = _digits(value.get("second", 0))
            if hour is not None and minute is not None and second == 0:
                if hour <= 23 and minute <= 59:
                    return f"{hour:02d}:{minute:02d}"
        return _cron_text(value)

    def parse_text(self, session: Session, typed: str) -> dict[str, str]:
        found = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", typed)
        if not found or int(found[1]) > 23 or int(found[2]) > 59:
            raise self.refuse(
                "Write a time as HH:MM on the 24-hour clock, from 00:00 to 23:59, e.g. 03:30."
            )
        return {"hour": str(int(found[1])), "minute": str(int(found[2])), "second": "0"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class MinuteOfHour(SettingSpec[dict[str, str]]):
    """An hourly job's minute past each hour (stored as cron fields, like TimeOfDay)."""

    def allowed(self) -> str:
        return "0 to 59"

    def requirement(self) -> str:
        return "a minute past the hour from 0 to 59, or APScheduler cron fields"

    def valid(self, value: object) -> bool:
        return _is_cron(value)

    def plain(self, value: object) -> str:
        if isinstance(value, dict) and set(value) <= {"minute", "second"}:
            minute, second = _digits(value.get("minute")), _digits(value.get("second", 0))
            if minute is not None and minute <= 59 and second == 0:
                return str(minute)
        return _cron_text(value)

    def parse_text(self, session: Session, typed: str) -> dict[str, str]:
        if not re.fullmatch(r"[0-9]{1,2}", typed) or int(typed) > 59:
            raise self.refuse("Write the minute past each hour as a whole number from 0 to 59.")
        return {"minute": str(int(typed)), "second": "0"}


def _web_address_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
        or len(url) > MAX_TYPED_CHARS
    ):
        shown = url[:80].replace("\x00", "")
        return (
            f"'{shown}' is not a web address people can open: give one such as "
            "https://counselmatch.example.org (http or https, a host, no query)."
        )
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebAddress(SettingSpec[str]):
    def allowed(self) -> str:
        return "an http:// or https:// address"

    def requirement(self) -> str:
        return "the address people open the app at, such as https://counselmatch.example.org"

    def valid(self, value: object) -> bool:
        return isinstance(value, str) and _web_address_problem(value) is None

    def cast(self, value: object) -> str:
        assert isinstance(value, str)
        return value.rstrip("/")

    def parse(self, session: Session, typed: str) -> str:
        # A NUL or a control character is "not a web address" like any other wrong character.
        return self.parse_text(session, typed.strip())

    def parse_text(self, session: Session, typed: str) -> str:
        problem = _web_address_problem(typed)
        if problem:
            raise self.refuse(problem)
        return typed.rstrip("/")


@dataclasses.dataclass(frozen=True, kw_only=True)
class LanguageList(SettingSpec[frozenset[str]]):
    """Languages of the catalogue, written as people write them, separated by `;`; stored as
    the `interpreter_available` flag of each language (never in the `settings` table)."""

    max_chars: int = MAX_LANGUAGES_CHARS

    def allowed(self) -> str:
        return "languages of the catalogue, or none"

    def requirement(self) -> str:
        return "a list of language codes"

    def valid(self, value: object) -> bool:
        return isinstance(value, list | tuple | frozenset | set) and all(
            isinstance(code, str) for code in value
        )

    def cast(self, value: object) -> frozenset[str]:
        assert isinstance(value, list | tuple | frozenset | set)
        return frozenset(value)

    def to_stored(self, value: frozenset[str]) -> Any:
        return sorted(value)

    def plain(self, value: object) -> str:
        if isinstance(value, list | tuple | frozenset | set):
            return "; ".join(sorted(str(code) for code in value)) or "none"
        return str(value)

    def text(self, session: Session, stored: object) -> str:
        if not isinstance(stored, list | tuple | frozenset | set):
            return str(stored)
        codes = [str(code) for code in stored]
        names: dict[str, str] = {
            code: name
            for code, name in session.execute(
                select(Language.code, Language.name).where(Language.code.in_(codes))
            )
        }
        return "; ".join(sorted(names.get(code, code) for code in codes))

    def stored(self, session: Session) -> Any:
        return sorted(
            session.scalars(select(Language.code).where(Language.interpreter_available.is_(True)))
        )

    def write(self, session: Session, value: frozenset[str]) -> None:
        codes = sorted(value)
        session.execute(
            update(Language)
            .where(Language.interpreter_available.is_(True), Language.code.not_in(codes))
            .values(interpreter_available=False)
        )
        session.execute(
            update(Language)
            .where(Language.interpreter_available.is_(False), Language.code.in_(codes))
            .values(interpreter_available=True)
        )

    def parse_text(self, session: Session, typed: str) -> frozenset[str]:
        # Imported here: the import package loads pandas, which no reader of settings needs.
        from .imports.cells import Invalid, Lookups

        lookups = Lookups(session)
        codes: set[str] = set()
        problems: list[str] = []
        for item in (part.strip() for part in typed.split(LIST_SEPARATOR)):
            if not item:
                continue
            try:
                lookups.language(item)
            except Invalid as invalid:
                problems.append(invalid.message[:1].upper() + invalid.message[1:] + ".")
                continue
            code = lookups.catalogue.resolve(item)
            assert code is not None  # the look-up above found it
            codes.add(code)
        if problems:
            raise self.refuse(" ".join(problems))
        return frozenset(codes)
