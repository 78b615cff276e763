"""The spreadsheet formats of DESIGN.md: column names, in order, per kind of file."""

from __future__ import annotations

import re
from enum import StrEnum


class CsvKind(StrEnum):
    CHILDREN = "children"
    ATTORNEYS = "attorneys"
    CONFLICTS = "conflicts"
    # Written only: what the matching runs produced.
    PROPOSALS = "proposals"
    UNMATCHED = "unmatched"
    RUNS = "runs"


# The kinds people import (and export in the same format); the others are only written.
DATA_KINDS = (CsvKind.CHILDREN, CsvKind.ATTORNEYS, CsvKind.CONFLICTS)

LIST_SEPARATOR = ";"


def flag_cell(value: bool) -> str:
    """A yes/no cell as the formats write it (the import reads yes/no and 1/0 as well)."""
    return "true" if value else "false"


COLUMNS: dict[CsvKind, tuple[str, ...]] = {
    CsvKind.CHILDREN: (
        "external_id",
        "first_name",
        "last_name",
        "a_number",
        "birth_date",
        "sex",
        "country_of_origin",
        "primary_language",
        "other_languages",
        "court_code",
        "case_type",
        "next_hearing_date",
        "detained",
        "sibling_group",
        "intake_date",
    ),
    CsvKind.ATTORNEYS: (
        "external_id",
        "name",
        "email",
        "firm",
        "languages",
        "courts",
        "states_admitted",
        "expertise",
        "capacity",
        "active_cases",
        "takes_detained",
        "remote_ok",
        "travel_radius_km",
        "home_latitude",
        "home_longitude",
        "unavailable_from",
        "unavailable_to",
    ),
    CsvKind.CONFLICTS: ("attorney_external_id", "child_external_id", "reason"),
    CsvKind.PROPOSALS: (
        "child_external_id",
        "attorney_external_id",
        "tier",
        "score",
        "language",
        "expertise",
        "distance",
        "tender_age",
        "load",
        "why",
        "run_id",
    ),
    CsvKind.UNMATCHED: ("child_external_id", "tier", "reason", "detail", "run_id"),
    CsvKind.RUNS: (
        "run_id",
        "trigger",
        "as_of",
        "started_at",
        "finished_at",
        "status",
        "children",
        "eligible_pairs",
        "matched_t1",
        "matched_t2",
        "matched_t3",
        "matched_t4",
        "greedy_t1",
        "greedy_t2",
        "greedy_t3",
        "greedy_t4",
        "objective",
        "bound",
        "gap",
        "seconds",
        "error",
    ),
}


# One made-up row per import kind, showing every format (lists, levels, dates): the upload page's
# templates put it under the header. The three import together in this order (the conflict names
# the example attorney and child).
EXAMPLE_ROWS: dict[CsvKind, dict[str, str]] = {
    CsvKind.CHILDREN: {
        "external_id": "C-0001",
        "first_name": "Ana",
        "last_name": "Xol Pérez",
        "a_number": "A123-456-789",
        "birth_date": "2011-03-14",
        "sex": "F",
        "country_of_origin": "Guatemala",
        "primary_language": "K'iche'",
        "other_languages": "Spanish",
        "court_code": "HOU",
        "case_type": "asylum",
        "next_hearing_date": "2026-09-15",
        "detained": "false",
        "sibling_group": "XOL-1",
        "intake_date": "2025-11-02",
    },
    CsvKind.ATTORNEYS: {
        "external_id": "A-0001",
        "name": "Rosa Díaz",
        "email": "rdiaz@example.org",
        "firm": "Díaz & Cole LLP",
        "languages": "Spanish:native;English:fluent;K'iche':working",
        "courts": "HOU;HOS",
        "states_admitted": "TX",
        "expertise": "asylum:expert;sijs:mentored",
        "capacity": "3",
        "active_cases": "1",
        "takes_detained": "true",
        "remote_ok": "false",
        "travel_radius_km": "50",
        "home_latitude": "29.76",
        "home_longitude": "-95.37",
        "unavailable_from": "2026-12-20",
        "unavailable_to": "2027-01-04",
    },
    CsvKind.CONFLICTS: {
        "attorney_external_id": "A-0001",
        "child_external_id": "C-0001",
        "reason": "Firm represents the sponsor in a custody matter",
    },
}


# A cell starting with one of these runs as a formula when the file is opened in a spreadsheet
# program (CSV injection). Exports put an apostrophe before such text; imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def protect_cell(value: str) -> str:
    """Text as it may safely be written to a CSV cell that people open in Excel (numbers such
    as a negative longitude stay as they are)."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unprotect_cell(value: str) -> str:
    """The text a protected cell stood for (a cell protect_cell did not change is left alone)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
