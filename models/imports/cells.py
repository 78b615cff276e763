"""Cell parsers: one cell's text to a value, or `Invalid` saying what is wrong and what to write.

Lenient where it loses nothing: court codes, sex and states ignore case; booleans accept
true/false, yes/no, 1/0. An A-number may be written `A123-456-789`, `A 123 456 789` or
`123456789` (a leading `A`, spaces and dashes are dropped) and is stored as 9 digits; one of 8
digits gets a leading 0, as USCIS instructs and as a spreadsheet that dropped the zero needs.
Languages and courts are looked up in what the database knows (`Lookups`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pycountry
from sqlalchemy import String, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from ..entities import Court, Language
from ..languages import fold
from ..reference import language_catalogue

T = TypeVar("T")


class Invalid(Exception):
    """A cell that cannot be read; the message says what is wrong and what to write instead."""

    def __init__(self, message: str) -> None:
        self.message = message


class Memo:
    """Caches a parser's answers, errors too: dates and languages repeat across many rows."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self._parse = parse
        self._seen: dict[str, Any] = {}

    def __call__(self, value: str) -> Any:
        try:
            answer = self._seen[value]
        except KeyError:
            try:
                answer = self._parse(value)
            except Invalid as invalid:
                answer = invalid
            self._seen[value] = answer
        if isinstance(answer, Invalid):
            raise answer
        return answer


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A US spreadsheet's date: M/D/YYYY or MM/DD/YYYY (day first where the program says so).
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def date_forms(day_first: bool) -> str:
    """The date forms an import accepts, for messages."""
    slash = "D/M/YYYY (e.g. 14/3/2026)" if day_first else "M/D/YYYY (e.g. 3/14/2026)"
    return f"YYYY-MM-DD (e.g. 2026-03-14) or {slash}"


def parse_date(value: str, day_first: bool = False) -> date:
    """A date written YYYY-MM-DD or with slashes, month first (or day first): a two-digit year
    or any other form is never guessed."""
    slashed = _SLASH_DATE.fullmatch(value)
    if not slashed and not _ISO_DATE.fullmatch(value):
        raise Invalid(
            f"not a date in an accepted form: write {date_forms(day_first)}; a two-digit year "
            "is not accepted; if a spreadsheet changed it, format the column as text"
        )
    try:
        if not slashed:
            return date.fromisoformat(value)
        first, second, year = (int(part) for part in slashed.groups())
        month, day = (second, first) if day_first else (first, second)
        return date(year, month, day)
    except ValueError as exc:
        order = "day first" if day_first else "month first, as in the US"
        raise Invalid(
            f"no such day ({exc}); write a real date as {date_forms(day_first)} (dates with "
            f"slashes are read {order})"
        ) from None


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def parse_bool(value: str) -> bool:
    folded = value.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise Invalid("not true or false; write true/false, yes/no or 1/0")


_INTEGER = re.compile(r"[+-]?\d+")


def parse_count(value: str) -> int:
    """A whole number, 0 or more."""
    if not _INTEGER.fullmatch(value):
        raise Invalid("not a whole number; write digits only, e.g. 3")
    number = int(value)
    if number < 0:
        raise Invalid("must be 0 or more")
    return number


def _coordinate(limit: int) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise Invalid("not a number; write decimal degrees, e.g. 29.76") from None
        if not -limit <= number <= limit:  # also refuses nan
            raise Invalid(f"must be between -{limit} and {limit} (decimal degrees)")
        return number

    return parse


parse_latitude = _coordinate(90)
parse_longitude = _coordinate(180)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def parse_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise Invalid("not an email address; write it as name@example.org")
    return value


_A_NUMBER_SEPARATORS = re.compile(r"[\s-]+")


def parse_a_number(value: str) -> str:
    """9 digits from `A123-456-789`, `A 123 456 789`, `123456789`, or 8 digits with a 0 added."""
    digits = _A_NUMBER_SEPARATORS.sub("", value)
    if digits[:1] in ("A", "a"):
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit():
        raise Invalid(
            "an A-number is 9 digits, optionally written with a leading A and dashes "
            "(e.g. A123-456-789)"
        )
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9:
        raise Invalid(f"an A-number has 9 digits, this one has {len(digits)}")
    return digits


def parse_sex(value: str) -> str:
    upper = value.upper()
    if upper not in ("F", "M", "X"):
        raise Invalid("sex must be F, M or X")
    return upper


def name_key(name: str) -> str:
    """How names written by people are compared (column names, choices): case, surrounding
    spaces and `-`/space versus `_` ignored."""
    return re.sub(r"[\s-]+", "_", name.strip()).casefold()


def _choice(enum_cls: type[T], what: str) -> Callable[[str], T]:
    values = [member.value for member in enum_cls]  # type: ignore[attr-defined]

    def parse(value: str) -> T:
        key = name_key(value)
        if key in values:
            return enum_cls(key)  # type: ignore[call-arg]
        close = difflib.get_close_matches(key, values, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise Invalid(f"unknown {what} '{value}'; {hint}use one of {', '.join(values)}")

    return parse


parse_case_type = _choice(CaseType, "case type")
parse_language_level = _choice(LanguageLevel, "language level")
parse_expertise_level = _choice(ExpertiseLevel, "expertise level")

# Bar admissions: the states, DC and the inhabited territories (pycountry's US subdivisions).
US_STATE_CODES = frozenset(
    sub.code.removeprefix("US-")
    for sub in pycountry.subdivisions.get(country_code="US")  # type: ignore[no-untyped-call]
    if sub.code != "US-UM"
)


def parse_state(value: str) -> str:
    upper = value.upper()
    if upper not in US_STATE_CODES:
        raise Invalid("not a US state; write its two-letter postal code, e.g. TX")
    return upper


def _max_length(attribute: InstrumentedAttribute[Any]) -> int:
    column_type = attribute.property.columns[0].type
    assert isinstance(column_type, String) and column_type.length is not None
    return column_type.length


def text_for(attribute: InstrumentedAttribute[Any]) -> Callable[[str], str]:
    limit = _max_length(attribute)

    def parse(value: str) -> str:
        if len(value) > limit:
            raise Invalid(f"too long: {len(value)} characters, at most {limit}")
        return value

    return parse


class Lookups:
    """What the database knows, fetched once per import: courts and the language catalogue."""

    def __init__(self, session: Session) -> None:
        self.catalogue = language_catalogue(session)
        languages = session.execute(select(Language.code, Language.id, Language.name)).all()
        self.language_ids = {code: language_id for code, language_id, _name in languages}
        self._language_names = [(code, name) for code, _id, name in languages]
        self._codes_by_name: dict[str, list[str]] | None = None
        courts = session.execute(
            select(Court.code, Court.id, Court.name, Court.city, Court.active)
        ).all()
        self.court_ids = {code: court_id for code, court_id, _name, _city, _active in courts}
        # Closed courts (models/courts.py): kept by the records already there, refused for new.
        self.closed_courts = {
            court_id: code for code, court_id, _name, _city, active in courts if not active
        }
        self._court_names = {code: name for code, _id, name, _city, _active in courts}
        self._courts_by_name = {fold(name): code for code, _id, name, _city, _active in courts}
        self._courts_by_city: dict[str, list[str]] = {}
        for code, _id, _name, city, _active in courts:
            self._courts_by_city.setdefault(fold(city), []).append(code)
        self.language = Memo(self._language)
        self.court = Memo(self._court)

    def _language(self, value: str) -> int:
        code = self.catalogue.resolve(value)
        if code is None or code not in self.language_ids:
            shared_by = self._codes_named(value)
            if len(shared_by) > 1:
                raise Invalid(
                    f"'{value}' names more than one language ({', '.join(shared_by)}); write "
                    "the ISO 639-3 code of the one meant"
                )
            close = self.catalogue.suggest(value)
            hint = f"did you mean '{close}'? " if close else ""
            raise Invalid(
                f"unknown language '{value}'; {hint}write its name as in the language list "
                "(e.g. Spanish, K'iche', Mam) or its ISO 639-3 code"
            )
        return self.language_ids[code]

    def _codes_named(self, value: str) -> list[str]:
        """The codes of the languages whose name folds like `value` (more than one: ambiguous)."""
        if self._codes_by_name is None:
            self._codes_by_name = {}
            for code, name in self._language_names:
                self._codes_by_name.setdefault(fold(name), []).append(code)
        return sorted(self._codes_by_name.get(fold(value), []))

    def _court(self, value: str) -> int:
        """A court by its code, its name, or its city where only one court is in it."""
        code = value.upper()
        if code in self.court_ids:
            return self.court_ids[code]
        named = self._courts_by_name.get(fold(value))
        if named is not None:
            return self.court_ids[named]
        in_city = sorted(self._courts_by_city.get(fold(value), []))
        if len(in_city) == 1:
            return self.court_ids[in_city[0]]
        if in_city:
            listed = ", ".join(f"{c} ({self._court_names[c]})" for c in in_city)
            raise Invalid(
                f"'{value}' has {len(in_city)} immigration courts: {listed}; write the code of "
                "the one meant"
            )
        close = difflib.get_close_matches(code, list(self.court_ids), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise Invalid(
            f"unknown court code '{value}'; {hint}write a court's code from the court list "
            "(e.g. HOU), its name, or its city where only one court is in it"
        )
