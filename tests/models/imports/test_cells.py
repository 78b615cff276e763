"""Cells read leniently but never by guessing: A-numbers, case types, booleans, languages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from matcher.rules import CaseType
from models import Child, Court, Language
from models.imports import ImportFailed, RowError, import_csv
from models.imports.cells import Invalid, date_forms, parse_date
from models.settings import DATES_DAY_FIRST_KEY, put_setting
from tests.models.imports.helpers import (
    CHILDREN,
    by_external_id,
    child,
    languages_sharing_a_name,
    rows,
    run,
)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("A123-456-789", "123456789"),
        ("a 123 456 789", "123456789"),
        ("123456789", "123456789"),
        ("A12345678", "012345678"),
        ("", None),
    ],
)
def test_a_numbers_are_stored_as_nine_digits(session, written, stored):
    run(session, CHILDREN, rows(CHILDREN, child(a_number=written)))
    assert by_external_id(session, Child, "C-1").a_number == stored


def test_a_name_two_languages_share_asks_for_the_code(recorded):
    with languages_sharing_a_name(recorded) as name:
        with pytest.raises(ImportFailed) as failed:
            import_csv(recorded, CHILDREN, rows(CHILDREN, child(primary_language=name)), actor="t")
        assert failed.value.errors == [
            RowError(
                2,
                "primary_language",
                "Shared Name",
                "'Shared Name' names more than one language (qaa, qab); write the ISO 639-3 "
                "code of the one meant",
            )
        ]
        import_csv(recorded, CHILDREN, rows(CHILDREN, child(primary_language="qab")), actor="t")
        assert by_external_id(recorded, Child, "C-1").primary_language.code == "qab"


def test_case_types_and_booleans_are_read_leniently(session):
    run(
        session,
        CHILDREN,
        rows(
            CHILDREN,
            child(case_type="Removal Defense", detained="YES"),
            child(external_id="C-2", a_number="", case_type="T-Visa", detained="No"),
        ),
    )
    one, two = by_external_id(session, Child, "C-1"), by_external_id(session, Child, "C-2")
    assert (one.case_type, one.detained) == (CaseType.REMOVAL_DEFENSE, True)
    assert (two.case_type, two.detained) == (CaseType.T_VISA, False)


def test_languages_resolve_through_the_catalogue_not_by_guessing(recorded):
    """A spelling known for one language never folds into another (here: Spanish)."""
    code = recorded.scalar(select(Language.code).where(Language.name == "Q'anjob'al"))
    run(recorded, CHILDREN, rows(CHILDREN, child(primary_language="Kanjobal", other_languages="")))
    assert by_external_id(recorded, Child, "C-1").primary_language.code == code == "kjb"


@pytest.mark.parametrize(
    ("written", "month_first", "day_first"),
    [
        ("2009-05-26", date(2009, 5, 26), date(2009, 5, 26)),
        ("5/26/2009", date(2009, 5, 26), None),
        ("05/06/2009", date(2009, 5, 6), date(2009, 6, 5)),
        ("26/5/2009", None, date(2009, 5, 26)),
        ("5/26/09", None, None),  # a two-digit year is never guessed
        ("2009/05/26", None, None),
        ("26.05.2009", None, None),
        ("May 26, 2009", None, None),
        ("2/30/2009", None, None),
    ],
)
def test_dates_are_iso_or_slashed_month_first_unless_the_program_says_day_first(
    written, month_first, day_first
):
    for setting, expected in ((False, month_first), (True, day_first)):
        if expected is None:
            with pytest.raises(Invalid) as refused:
                parse_date(written, day_first=setting)
            assert date_forms(setting) in str(refused.value)
        else:
            assert parse_date(written, day_first=setting) == expected


def test_the_day_first_setting_changes_how_an_import_reads_slashed_dates(session):
    data = rows(CHILDREN, child(birth_date="05/06/2010"))
    run(session, CHILDREN, data)
    assert by_external_id(session, Child, "C-1").birth_date == date(2010, 5, 6)

    session.commit()
    with session.begin():
        put_setting(session, DATES_DAY_FIRST_KEY, True)
    run(session, CHILDREN, data)
    session.expire_all()
    assert by_external_id(session, Child, "C-1").birth_date == date(2010, 6, 5)


@pytest.mark.parametrize(
    "written",
    ["ANN", "ann", "Annandale Immigration Court", "annandale immigration court", "Annandale"],
)
def test_a_court_is_written_by_its_code_its_name_or_its_only_citys_name(session, written):
    run(session, CHILDREN, rows(CHILDREN, child(court_code=written)))
    kid = by_external_id(session, Child, "C-1")
    assert session.get(Court, kid.court_id).code == "ANN"
