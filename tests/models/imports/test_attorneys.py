"""The attorneys file: good files land, re-import replaces an attorney's lists, every bad cell
and repeat is reported precisely."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel
from models import Attorney
from models.imports import ImportSummary, RowError
from tests.models.imports.helpers import (
    ATTORNEY,
    ATTORNEYS,
    LANGUAGE_HINT,
    attorney,
    by_external_id,
    only_error,
    rejected,
    rows,
    run,
)


def test_a_good_attorneys_file_imports(session):
    summary = run(
        session,
        ATTORNEYS,
        rows(
            ATTORNEYS,
            ATTORNEY,
            attorney(
                external_id="A-2",
                name="Sam Lee",
                email="sam@example.org",
                firm="",
                languages="",
                courts="",
                states_admitted="ny; nj;",
                expertise="t_visa:experienced",
                capacity="0",
                active_cases="",
                takes_detained="no",
                remote_ok="1",
                travel_radius_km="",
                home_latitude="",
                home_longitude="",
                unavailable_from="",
                unavailable_to="",
            ),
        ),
    )

    assert summary == ImportSummary(ATTORNEYS, rows=2, created=2, updated=0)
    rosa = by_external_id(session, Attorney, "A-1")
    assert (rosa.name, rosa.email, rosa.firm) == (
        "Rosa Diaz",
        "rdiaz@example.org",
        "Diaz & Cole LLP",
    )
    assert {(al.language.code, al.level) for al in rosa.languages} == {
        ("spa", LanguageLevel.NATIVE),
        ("eng", LanguageLevel.FLUENT),
    }
    assert sorted(ac.court.code for ac in rosa.courts) == ["DAL", "HOU"]
    assert [s.state for s in rosa.states_admitted] == ["TX"]
    assert {(e.case_type, e.level) for e in rosa.expertise} == {
        (CaseType.ASYLUM, ExpertiseLevel.EXPERT),
        (CaseType.SIJS, ExpertiseLevel.MENTORED),
    }
    assert (rosa.capacity, rosa.imported_active_cases, rosa.takes_detained, rosa.remote_ok) == (
        3,
        1,
        True,
        False,
    )
    assert (rosa.travel_radius_km, rosa.home_latitude, rosa.home_longitude) == (50, 29.76, -95.37)
    assert [(p.start_date, p.end_date) for p in rosa.leave_periods] == [
        (date(2026, 12, 20), date(2027, 1, 4))
    ]
    sam = by_external_id(session, Attorney, "A-2")
    assert (sam.firm, sam.languages, sam.courts, sam.leave_periods) == ("", [], [], [])
    assert sorted(s.state for s in sam.states_admitted) == ["NJ", "NY"]
    assert (sam.capacity, sam.imported_active_cases, sam.travel_radius_km) == (0, 0, 0)
    assert (sam.takes_detained, sam.remote_ok, sam.home_latitude) == (False, True, None)


def test_reimport_replaces_an_attorneys_lists(session):
    run(session, ATTORNEYS, rows(ATTORNEYS, ATTORNEY))
    rosa_id = by_external_id(session, Attorney, "A-1").id

    summary = run(
        session,
        ATTORNEYS,
        rows(
            ATTORNEYS,
            attorney(
                languages="Mam:working",
                courts="NYC",
                states_admitted="NY",
                expertise="u_visa:experienced",
                capacity="5",
                unavailable_from="",
                unavailable_to="",
            ),
        ),
    )

    assert summary == ImportSummary(ATTORNEYS, rows=1, created=0, updated=1)
    rosa = by_external_id(session, Attorney, "A-1")
    assert rosa.id == rosa_id and rosa.capacity == 5
    assert [(al.language.code, al.level) for al in rosa.languages] == [
        ("mam", LanguageLevel.WORKING)
    ]
    assert [ac.court.code for ac in rosa.courts] == ["NYC"]
    assert [s.state for s in rosa.states_admitted] == ["NY"]
    assert [(e.case_type, e.level) for e in rosa.expertise] == [
        (CaseType.U_VISA, ExpertiseLevel.EXPERIENCED)
    ]
    assert rosa.leave_periods == []


@pytest.mark.parametrize(
    ("cells", "column", "value", "message"),
    [
        ({"name": ""}, "name", "", "a value is required here"),
        (
            {"email": "rdiaz-at-example.org"},
            "email",
            "rdiaz-at-example.org",
            "not an email address; write it as name@example.org",
        ),
        (
            {"languages": "Spanish"},
            "languages",
            "Spanish",
            "write each item as name:level, e.g. Spanish:fluent",
        ),
        (
            {"languages": "English:native;Spanish:expert"},
            "languages",
            "Spanish:expert",
            "unknown language level 'expert'; use one of native, fluent, working",
        ),
        (
            {"languages": "Mamm:fluent"},
            "languages",
            "Mamm:fluent",
            f"unknown language 'Mamm'; did you mean 'Mam'? {LANGUAGE_HINT}",
        ),
        (
            {"languages": "Spanish:fluent;Español:native"},
            "languages",
            "Español:native",
            "listed twice; keep one level for it",
        ),
        (
            {"expertise": "asylum:guru"},
            "expertise",
            "asylum:guru",
            "unknown expertise level 'guru'; use one of expert, experienced, mentored",
        ),
        (
            {"expertise": "divorce:expert"},
            "expertise",
            "divorce:expert",
            "unknown case type 'divorce'; use one of asylum, sijs, t_visa, u_visa, removal_defense",
        ),
        (
            {"courts": "HOU;HOUS"},
            "courts",
            "HOUS",
            "unknown court code 'HOUS'; did you mean 'HOU'? write a court's code from the court "
            "list (e.g. HOU), its name, or its city where only one court is in it",
        ),
        (
            {"states_admitted": "TX;Texas"},
            "states_admitted",
            "Texas",
            "not a US state; write its two-letter postal code, e.g. TX",
        ),
        ({"capacity": ""}, "capacity", "", "a value is required here"),
        ({"capacity": "two"}, "capacity", "two", "not a whole number; write digits only, e.g. 3"),
        ({"capacity": "-1"}, "capacity", "-1", "must be 0 or more"),
        (
            {"active_cases": "1.5"},
            "active_cases",
            "1.5",
            "not a whole number; write digits only, e.g. 3",
        ),
        ({"travel_radius_km": "-5"}, "travel_radius_km", "-5", "must be 0 or more"),
        (
            {"takes_detained": "si"},
            "takes_detained",
            "si",
            "not true or false; write true/false, yes/no or 1/0",
        ),
        (
            {"home_latitude": "91"},
            "home_latitude",
            "91",
            "must be between -90 and 90 (decimal degrees)",
        ),
        (
            {"home_longitude": "west"},
            "home_longitude",
            "west",
            "not a number; write decimal degrees, e.g. 29.76",
        ),
        (
            {"home_longitude": ""},
            "home_longitude",
            "",
            "home_latitude is given, so home_longitude is required too (or leave both empty)",
        ),
        (
            {"unavailable_from": ""},
            "unavailable_from",
            "",
            "unavailable_to is given, so unavailable_from is required too (or leave both empty)",
        ),
        (
            {"unavailable_to": "2026-12-19"},
            "unavailable_to",
            "2026-12-19",
            "is before unavailable_from; the leave must end after it starts",
        ),
        (
            {"unavailable_to": "4 Jan 2027"},
            "unavailable_to",
            "4 Jan 2027",
            "not a date in an accepted form: write YYYY-MM-DD (e.g. 2026-03-14) or M/D/YYYY "
            "(e.g. 3/14/2026); a two-digit year is not accepted; if a spreadsheet changed it, "
            "format the column as text",
        ),
    ],
)
def test_a_bad_attorney_cell_is_reported_precisely(recorded, cells, column, value, message):
    data = rows(ATTORNEYS, attorney(**{"external_id": "A-2", **cells}))
    assert only_error(recorded, ATTORNEYS, data) == RowError(2, column, value, message)


def test_duplicate_attorneys_in_a_file_are_refused(recorded):
    errors = rejected(recorded, ATTORNEYS, rows(ATTORNEYS, ATTORNEY, attorney(name="R. Diaz")))
    assert errors == [
        RowError(
            3,
            "external_id",
            "A-1",
            "also on line 2; each attorney has one row (a re-import updates the attorney)",
        )
    ]
