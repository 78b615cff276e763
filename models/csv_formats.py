"""The spreadsheet formats of DESIGN.md: column names, in order, per kind of file."""

from __future__ import annotations

from enum import StrEnum


class CsvKind(StrEnum):
    CHILDREN = "children"
    ATTORNEYS = "attorneys"
    CONFLICTS = "conflicts"


LIST_SEPARATOR = ";"

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
}
