"""An attorney's profile as a person edits it: read from what a form holds, checked, written.

One path for the attorney's own page, a coordinator editing on the attorney's behalf and the
public volunteer sign-up. Every value is read by the spreadsheet import's parsers (languages
through the catalogue, court codes, states, levels, coordinates), so a profile is judged the way
an imported row is. Problems come back per form field (`ProfileInvalid`), each one a message a
person can act on; nothing is written until the whole profile is valid. Models never commit:
the caller owns `with session.begin():`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from . import audit
from .csv_formats import LIST_SEPARATOR
from .entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    Court,
    Language,
    User,
)
from .imports.cells import (
    Invalid,
    Lookups,
    parse_count,
    parse_expertise_level,
    parse_language_level,
    parse_latitude,
    parse_longitude,
    parse_state,
)
from .imports.errors import RowError
from .imports.rows import Row
from .reference import language_catalogue

MAX_CAPACITY = 50
MAX_TRAVEL_RADIUS_KM = 1000
# Longer than any real answer, short enough that no parser spends time on a pasted novel.
MAX_LIST_CHARS = 2000
MAX_NUMBER_CHARS = 32
MAX_COURTS = 500

# The profile's fields, named as the forms name them (and as the audit trail records them).
SCALAR_FIELDS = ("capacity", "travel_radius_km", "home_latitude", "home_longitude")
EXPERTISE_PREFIX = "expertise_"


def expertise_field(case_type: CaseType) -> str:
    """The form field that holds the attorney's level for one case type."""
    return f"{EXPERTISE_PREFIX}{case_type.value}"


@dataclass(frozen=True)
class ProfileText:
    """A profile as written in a form: text as typed, the courts ticked, the boxes checked.

    languages: `language:level` items separated by `;` (as in the attorneys file);
    states_admitted: two-letter codes separated by `;`; expertise: case type value -> level value
    ("" for none).
    """

    languages: str = ""
    courts: Sequence[str] = ()
    states_admitted: str = ""
    home_latitude: str = ""
    home_longitude: str = ""
    travel_radius_km: str = "0"
    remote_ok: bool = False
    expertise: Mapping[str, str] = field(default_factory=dict)
    takes_detained: bool = False
    capacity: str = ""


@dataclass(frozen=True)
class Profile:
    """A checked profile, ready to write."""

    languages: dict[int, LanguageLevel]
    court_ids: list[int]
    states: list[str]
    home: tuple[float, float] | None
    travel_radius_km: int
    remote_ok: bool
    expertise: dict[CaseType, ExpertiseLevel]
    takes_detained: bool
    capacity: int


class ProfileInvalid(Exception):
    """What is wrong, by form field name; each message says what to write instead."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors


def unsafe_text(value: str, limit: int) -> str | None:
    """Why a typed value cannot be read at all (a NUL character, far too long), else None."""
    if "\x00" in value:
        return "contains a NUL character; retype the value"
    if len(value) > limit:
        return f"too long: {len(value)} characters, at most {limit}"
    return None


def _message(error: RowError, cells: Mapping[str, str]) -> str:
    """A cell parser's message for a form: the item at fault named, the first letter capital."""
    text = error.message[:1].upper() + error.message[1:]
    if error.column in SCALAR_FIELDS and error.value == cells.get(error.column):
        return text + "."
    return f"'{error.value}': {error.message}."


def _ranged(row: Row, column: str, value: Any, highest: int, unit: str) -> int:
    if isinstance(value, int) and value > highest:
        row.fail(column, f"must be between 0 and {highest}{unit}")
    return value if isinstance(value, int) else 0


def read_profile(
    session: Session, text: ProfileText, kept_court_ids: Collection[int] = ()
) -> Profile:
    """The profile `text` describes; raises ProfileInvalid with every problem found. A closed
    court (models/courts.py) is refused unless it is among `kept_court_ids` (the attorney
    lists it already)."""
    cells = {
        "languages": text.languages.strip(),
        "states_admitted": text.states_admitted.strip(),
        "home_latitude": text.home_latitude.strip(),
        "home_longitude": text.home_longitude.strip(),
        "travel_radius_km": text.travel_radius_km.strip(),
        "capacity": text.capacity.strip(),
    }
    row_errors: list[RowError] = []
    row = Row(0, cells, row_errors)
    errors: dict[str, list[str]] = {}
    for column, value in cells.items():
        limit = MAX_NUMBER_CHARS if column in SCALAR_FIELDS else MAX_LIST_CHARS
        problem = unsafe_text(value, limit)
        if problem:
            errors.setdefault(column, []).append(problem[:1].upper() + problem[1:] + ".")
            cells[column] = ""  # read no further; the field's message says why
    lookups = Lookups(session)
    languages = row.pairs(
        "languages", lookups.language, parse_language_level, example="Spanish:fluent"
    )
    court_ids = _court_ids(text.courts, lookups, errors)
    for court_id in court_ids:
        if court_id in lookups.closed_courts and court_id not in kept_court_ids:
            code = lookups.closed_courts[court_id]
            errors.setdefault("courts", []).append(
                f"'{code}': this court is closed; it stays on profiles that list it already "
                "but is added to no other."
            )
    states = list(dict.fromkeys(row.each("states_admitted", parse_state)))
    # Home is a point: half of one places the attorney nowhere.
    if bool(cells["home_latitude"]) != bool(cells["home_longitude"]):
        missing = "home_longitude" if cells["home_latitude"] else "home_latitude"
        row.fail(missing, f"give the {missing.removeprefix('home_')} too, or leave both empty")
    latitude = row.optional("home_latitude", parse_latitude)
    longitude = row.optional("home_longitude", parse_longitude)
    radius = _ranged(
        row,
        "travel_radius_km",
        row.optional("travel_radius_km", parse_count) or 0,
        MAX_TRAVEL_RADIUS_KM,
        " km",
    )
    if "capacity" not in errors:
        capacity = _ranged(
            row, "capacity", row.required("capacity", parse_count), MAX_CAPACITY, " cases"
        )
    else:
        capacity = 0
    expertise = _expertise(text.expertise, errors)
    for error in row_errors:
        errors.setdefault(error.column, []).append(_message(error, cells))
    if not languages and "languages" not in errors:
        errors["languages"] = ["Write at least one language you work in, e.g. Spanish:fluent."]
    if not expertise and not any(name.startswith(EXPERTISE_PREFIX) for name in errors):
        errors[expertise_field(CaseType.ASYLUM)] = [
            "Choose a level for at least one case type you take."
        ]
    if errors:
        raise ProfileInvalid(errors)
    home = (latitude, longitude) if latitude is not None and longitude is not None else None
    return Profile(
        languages=languages,
        court_ids=court_ids,
        states=states,
        home=home,
        travel_radius_km=radius,
        remote_ok=text.remote_ok,
        expertise=expertise,
        takes_detained=text.takes_detained,
        capacity=capacity,
    )


def _court_ids(codes: Sequence[str], lookups: Lookups, errors: dict[str, list[str]]) -> list[int]:
    if len(codes) > MAX_COURTS:
        errors["courts"] = [f"Too many courts ticked: {len(codes)}, at most {MAX_COURTS}."]
        return []
    ids: list[int] = []
    for code in codes:
        problem = unsafe_text(code, 8)
        try:
            if problem:
                raise Invalid(problem)
            ids.append(lookups.court(code.strip()))
        except Invalid as invalid:
            shown = code[:20].replace("\x00", "")
            errors.setdefault("courts", []).append(f"'{shown}': {invalid.message}.")
    return list(dict.fromkeys(ids))


def _expertise(
    levels: Mapping[str, str], errors: dict[str, list[str]]
) -> dict[CaseType, ExpertiseLevel]:
    expertise: dict[CaseType, ExpertiseLevel] = {}
    for case_type in CaseType:
        written = levels.get(case_type.value, "").strip()
        if not written:
            continue
        problem = unsafe_text(written, 20)
        try:
            if problem:
                raise Invalid(problem)
            expertise[case_type] = parse_expertise_level(written)
        except Invalid as invalid:
            message = invalid.message[:1].upper() + invalid.message[1:] + "."
            errors.setdefault(expertise_field(case_type), []).append(message)
    return expertise


# --- writing ----------------------------------------------------------------------------------


def _current(attorney: Attorney) -> dict[str, Any]:
    """The attorney's profile in the terms of `Profile`, to compare field by field."""
    home = None
    if attorney.home_latitude is not None and attorney.home_longitude is not None:
        home = (attorney.home_latitude, attorney.home_longitude)
    return {
        "languages": {row.language_id: row.level for row in attorney.languages},
        "courts": {row.court_id for row in attorney.courts},
        "states_admitted": {row.state for row in attorney.states_admitted},
        "home": home,
        "travel_radius_km": attorney.travel_radius_km,
        "remote_ok": attorney.remote_ok,
        "expertise": {row.case_type: row.level for row in attorney.expertise},
        "takes_detained": attorney.takes_detained,
        "capacity": attorney.capacity,
    }


def apply_profile(session: Session, attorney: Attorney, profile: Profile) -> list[str]:
    """Write `profile` onto `attorney` (lists replaced); the names of the fields that changed."""
    before = _current(attorney)
    after = {
        "languages": dict(profile.languages),
        "courts": set(profile.court_ids),
        "states_admitted": set(profile.states),
        "home": profile.home,
        "travel_radius_km": profile.travel_radius_km,
        "remote_ok": profile.remote_ok,
        "expertise": dict(profile.expertise),
        "takes_detained": profile.takes_detained,
        "capacity": profile.capacity,
    }
    changed = [name for name in after if before[name] != after[name]]
    # Cleared lists are flushed before the new rows go in: the rows' keys may repeat.
    if "languages" in changed:
        attorney.languages.clear()
    if "courts" in changed:
        attorney.courts.clear()
    if "states_admitted" in changed:
        attorney.states_admitted.clear()
    if "expertise" in changed:
        attorney.expertise.clear()
    session.flush()
    if "languages" in changed:
        attorney.languages.extend(
            AttorneyLanguage(language_id=language_id, level=level)
            for language_id, level in profile.languages.items()
        )
    if "courts" in changed:
        attorney.courts.extend(AttorneyCourt(court_id=court_id) for court_id in profile.court_ids)
    if "states_admitted" in changed:
        attorney.states_admitted.extend(AttorneyState(state=state) for state in profile.states)
    if "expertise" in changed:
        attorney.expertise.extend(
            AttorneyExpertise(case_type=case_type, level=level)
            for case_type, level in profile.expertise.items()
        )
    attorney.home_latitude, attorney.home_longitude = profile.home or (None, None)
    attorney.travel_radius_km = profile.travel_radius_km
    attorney.remote_ok = profile.remote_ok
    attorney.takes_detained = profile.takes_detained
    attorney.capacity = profile.capacity
    session.flush()
    # The audit trail and the page name the form's fields; home is two of them.
    return [
        part
        for name in changed
        for part in (("home_latitude", "home_longitude") if name == "home" else (name,))
    ]


def update_profile(
    session: Session, attorney_id: int, text: ProfileText, actor: User | str
) -> list[str]:
    """Check and write the profile of attorney `attorney_id`, audited with the names of the
    fields that changed (never their values). Raises LookupError for no such attorney and
    ProfileInvalid (nothing written) for a bad profile. Returns the changed fields' names."""
    attorney = session.get(Attorney, attorney_id)
    if attorney is None:
        raise LookupError(f"no attorney {attorney_id}")
    profile = read_profile(session, text, {row.court_id for row in attorney.courts})
    changed = apply_profile(session, attorney, profile)
    if changed:
        audit.record(
            session, actor, "attorney_profile_updated", "attorney", attorney_id, fields=changed
        )
    return changed


def profile_text(session: Session, attorney: Attorney) -> ProfileText:
    """The attorney's profile as the form shows it (and as `read_profile` reads it back)."""
    catalogue = language_catalogue(session)
    ids = [row.language_id for row in attorney.languages]
    written: dict[int, str] = {}
    for language_id, code, name in session.execute(
        select(Language.id, Language.code, Language.name).where(Language.id.in_(ids))
    ).all():
        # A name two languages share would not read back as this one: write its code then.
        written[language_id] = name if catalogue.resolve(name) == code else code
    languages = sorted((written[row.language_id], row.level.value) for row in attorney.languages)
    return ProfileText(
        languages=f"{LIST_SEPARATOR} ".join(f"{name}:{level}" for name, level in languages),
        courts=sorted(
            session.scalars(
                select(Court.code)
                .join(AttorneyCourt, AttorneyCourt.court_id == Court.id)
                .where(AttorneyCourt.attorney_id == attorney.id)
            )
        ),
        states_admitted=f"{LIST_SEPARATOR} ".join(
            sorted(row.state for row in attorney.states_admitted)
        ),
        home_latitude="" if attorney.home_latitude is None else repr(attorney.home_latitude),
        home_longitude="" if attorney.home_longitude is None else repr(attorney.home_longitude),
        travel_radius_km=str(attorney.travel_radius_km),
        remote_ok=attorney.remote_ok,
        expertise={row.case_type.value: row.level.value for row in attorney.expertise},
        takes_detained=attorney.takes_detained,
        capacity=str(attorney.capacity),
    )
