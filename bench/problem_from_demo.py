"""A `MatchProblem` straight from the demo generator's rows, without a database.

Languages are resolved through the shipped catalogue (the same folding and spellings as an import),
courts come from models/data/courts.csv; ids are row numbers (from 1) in file order.
"""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources

from fixtures.demo import DemoData
from matcher.problem import (
    AttorneyInput,
    ChildInput,
    CourtInput,
    MatchProblem,
    MatchSettings,
)
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel
from models.csv_formats import LIST_SEPARATOR
from models.languages import (
    shipped_catalogue,
    shipped_languages,
)


def shipped_court_inputs() -> list[CourtInput]:
    text = resources.files("models.data").joinpath("courts.csv").read_text(encoding="utf-8")
    return [
        CourtInput(
            id=number,
            code=row["code"],
            state=row["state"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        for number, row in enumerate(csv.DictReader(text.splitlines()), start=1)
    ]


def _items(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]


def _optional_date(cell: str) -> date | None:
    return date.fromisoformat(cell) if cell else None


def problem_from_demo(data: DemoData, as_of: date) -> MatchProblem:
    catalogue = shipped_catalogue()
    courts = shipped_court_inputs()
    court_id = {court.code: court.id for court in courts}

    def code_of(written: str) -> str:
        code = catalogue.resolve(written)
        if code is None:
            raise ValueError(f"demo data names an unknown language {written!r}")
        return code

    groups: dict[str, int] = {}
    children = []
    child_id = {}
    for number, row in enumerate(data.children, start=1):
        child_id[row["external_id"]] = number
        languages = [code_of(row["primary_language"])]
        languages += [c for c in map(code_of, _items(row["other_languages"])) if c not in languages]
        group = row["sibling_group"]
        children.append(
            ChildInput(
                id=number,
                court_id=court_id[row["court_code"]],
                case_type=CaseType(row["case_type"]),
                languages=tuple(languages),
                birth_date=date.fromisoformat(row["birth_date"]),
                next_hearing_date=_optional_date(row["next_hearing_date"]),
                detained=row["detained"] == "true",
                sibling_group=groups.setdefault(group, len(groups) + 1) if group else None,
            )
        )

    attorneys = []
    attorney_id = {}
    for number, row in enumerate(data.attorneys, start=1):
        attorney_id[row["external_id"]] = number
        languages = []
        for item in _items(row["languages"]):
            name, _, level = item.rpartition(":")
            languages.append((code_of(name), LanguageLevel(level)))
        expertise = []
        for item in _items(row["expertise"]):
            case_type, _, level = item.partition(":")
            expertise.append((CaseType(case_type), ExpertiseLevel(level)))
        leave_from = _optional_date(row["unavailable_from"])
        leave_to = _optional_date(row["unavailable_to"])
        active = int(row["active_cases"])
        attorneys.append(
            AttorneyInput(
                id=number,
                languages=tuple(languages),
                court_ids=tuple(court_id[code] for code in _items(row["courts"])),
                states_admitted=tuple(_items(row["states_admitted"])),
                expertise=tuple(expertise),
                free_slots=int(row["capacity"]) - active,
                current_load=active,
                takes_detained=row["takes_detained"] == "true",
                remote_ok=row["remote_ok"] == "true",
                travel_radius_km=float(row["travel_radius_km"]),
                home_latitude=float(row["home_latitude"]) if row["home_latitude"] else None,
                home_longitude=float(row["home_longitude"]) if row["home_longitude"] else None,
                leave=((leave_from, leave_to),) if leave_from and leave_to else (),
            )
        )
    conflicts = frozenset(
        (child_id[row["child_external_id"]], attorney_id[row["attorney_external_id"]])
        for row in data.conflicts
    )
    interpreters = frozenset(
        entry.code for entry in shipped_languages() if entry.interpreter_available
    )
    return MatchProblem(
        as_of=as_of,
        courts=tuple(courts),
        children=tuple(children),
        attorneys=tuple(attorneys),
        conflicts=conflicts,
        settings=MatchSettings(interpreter_languages=interpreters),
        language_names={entry.code: entry.name for entry in shipped_languages() if entry.common},
    )
