"""The spreadsheet formats of DESIGN.md: column names, in order, per kind of file."""

from __future__ import annotations

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
