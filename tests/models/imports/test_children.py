"""The children file: good files land, re-import updates, every bad cell and repeat is reported
precisely and changes nothing; an import is audited; a dry run writes nothing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matcher.rules import CaseType
from models import AuditEvent, Child, SiblingGroup
from models.base import utcnow
from models.imports import ImportFailed, ImportSummary, RowError, import_csv
from tests.models.imports.helpers import (
    CHILDREN,
    LANGUAGE_HINT,
    by_external_id,
    child,
    count,
    lines,
    only_error,
    rejected,
    rows,
    run,
    snapshot,
)

GOOD_CHILDREN = lines(
    CHILDREN,
    "C-1,Ana,Xol,A123-456-789,2010-05-01,F,Guatemala,Kiche,Spanish,HOU,asylum,2026-12-01,false,XOL,"
    "2026-01-05",
    "C-2,Luis,Xol,,2013-02-11,m,Guatemala,K'iche',Spanish;Mam,hou,sijs,,yes,XOL,2026-01-05",
    "C-3,Marta,NA,12345678,2009-09-30,F,Honduras,Español,,NYC,t_visa,2026-12-09,0,,2026-02-01",
)


def test_a_good_children_file_imports(session):
    summary = run(session, CHILDREN, GOOD_CHILDREN)

    assert summary == ImportSummary(CHILDREN, rows=3, created=3, updated=0)
    ana = by_external_id(session, Child, "C-1")
    assert (ana.first_name, ana.last_name, ana.a_number, ana.sex) == (
        "Ana",
        "Xol",
        "123456789",
        "F",
    )
    assert (ana.birth_date, ana.intake_date) == (date(2010, 5, 1), date(2026, 1, 5))
    assert ana.primary_language.code == "quc"
    assert [cl.language.code for cl in ana.other_languages] == ["spa"]
    assert (ana.court.code, ana.case_type, ana.detained) == ("HOU", CaseType.ASYLUM, False)
    assert ana.next_hearing_date == date(2026, 12, 1)
    luis = by_external_id(session, Child, "C-2")
    assert (luis.a_number, luis.sex, luis.next_hearing_date, luis.detained) == (
        None,
        "M",
        None,
        True,
    )
    assert (luis.primary_language.code, luis.court.code) == ("quc", "HOU")
    assert sorted(cl.language.code for cl in luis.other_languages) == ["mam", "spa"]
    assert luis.sibling_group is not None and luis.sibling_group.external_id == "XOL"
    assert luis.sibling_group_id == ana.sibling_group_id
    marta = by_external_id(session, Child, "C-3")
    # "NA" is a surname, not a missing value; 8 digits get the leading 0 a spreadsheet dropped.
    assert (marta.last_name, marta.a_number, marta.primary_language.code) == (
        "NA",
        "012345678",
        "spa",
    )
    assert (marta.sibling_group, marta.other_languages, marta.detained) == (None, [], False)
    assert count(session, SiblingGroup) == 1


def test_an_import_is_audited_with_counts_only(session, caplog):
    caplog.set_level(logging.INFO)
    run(session, CHILDREN, GOOD_CHILDREN)

    event = session.scalars(select(AuditEvent)).one()
    assert (event.actor, event.action, event.entity_type) == ("test", "import", "children")
    assert event.details == {"rows": 3, "created": 3, "updated": 0}
    assert "imported children: 3 rows, 3 created, 0 updated" in caplog.text
    for secret in ("Ana", "Xol", "Marta", "123456789", "12345678"):
        assert secret not in caplog.text


def test_reimport_updates_the_child_and_replaces_its_languages(session):
    run(session, CHILDREN, GOOD_CHILDREN)
    ana_id = by_external_id(session, Child, "C-1").id

    summary = run(
        session,
        CHILDREN,
        rows(
            CHILDREN,
            child(court_code="NYC", other_languages="Mam;Q'anjob'al", sibling_group="", sex="X"),
            child(external_id="C-4", a_number="", first_name="Eva", sibling_group="LOPEZ"),
        ),
    )

    assert summary == ImportSummary(CHILDREN, rows=2, created=1, updated=1)
    ana = by_external_id(session, Child, "C-1")
    assert ana.id == ana_id
    assert (ana.court.code, ana.sex, ana.sibling_group) == ("NYC", "X", None)
    assert sorted(cl.language.code for cl in ana.other_languages) == ["kjb", "mam"]
    assert by_external_id(session, Child, "C-4").sibling_group.external_id == "LOPEZ"
    assert by_external_id(session, Child, "C-2").court.code == "HOU"  # not in the file: untouched
    assert count(session, Child) == 4
    assert count(session, SiblingGroup) == 2


def test_a_numbers_can_move_between_children_of_one_file(session):
    run(session, CHILDREN, GOOD_CHILDREN)  # C-1 has 123456789, C-3 has 012345678

    run(
        session,
        CHILDREN,
        rows(
            CHILDREN,
            child(external_id="C-1", a_number="012345678"),
            child(external_id="C-3", a_number="123456789"),
        ),
    )

    assert by_external_id(session, Child, "C-1").a_number == "012345678"
    assert by_external_id(session, Child, "C-3").a_number == "123456789"


def test_a_dry_run_validates_and_writes_nothing(session):
    before = snapshot(session)
    summary = run(session, CHILDREN, GOOD_CHILDREN, dry_run=True)
    assert summary == ImportSummary(CHILDREN, rows=3, created=3, updated=0)
    assert snapshot(session) == before


def test_a_dry_run_reports_the_same_errors(session):
    errors = rejected(session, CHILDREN, rows(CHILDREN, child(court_code="XXX")), dry_run=True)
    assert [(e.line, e.column) for e in errors] == [(2, "court_code")]


def _today() -> date:
    return utcnow().date()


@pytest.mark.parametrize(
    ("cells", "column", "value", "message"),
    [
        ({"external_id": ""}, "external_id", "", "a value is required here"),
        ({"first_name": ""}, "first_name", "", "a value is required here"),
        (
            {"first_name": "Ana" + "a" * 98},
            "first_name",
            "*" * 101,
            "too long: 101 characters, at most 100",
        ),
        (
            {"a_number": "A12-345"},
            "a_number",
            "***-***",
            "an A-number has 9 digits, this one has 5",
        ),
        (
            {"a_number": "12345678X"},
            "a_number",
            "*********",
            "an A-number is 9 digits, optionally written with a leading A and dashes "
            "(e.g. A123-456-789)",
        ),
        (
            {"birth_date": "05/01/10"},
            "birth_date",
            "05/01/10",
            "not a date in an accepted form: write YYYY-MM-DD (e.g. 2026-03-14) or M/D/YYYY "
            "(e.g. 3/14/2026); a two-digit year is not accepted; if a spreadsheet changed it, "
            "format the column as text",
        ),
        (
            {"birth_date": "2010-02-30"},
            "birth_date",
            "2010-02-30",
            "no such day (day is out of range for month); write a real date as YYYY-MM-DD "
            "(e.g. 2026-03-14) or M/D/YYYY (e.g. 3/14/2026) (dates with slashes are read month "
            "first, as in the US)",
        ),
        (
            {"birth_date": (_today() + timedelta(days=1)).isoformat()},
            "birth_date",
            (_today() + timedelta(days=1)).isoformat(),
            f"is in the future (today is {_today().isoformat()})",
        ),
        ({"intake_date": "2009-12-31"}, "intake_date", "2009-12-31", "is before the birth date"),
        ({"sex": "female"}, "sex", "female", "sex must be F, M or X"),
        ({"country_of_origin": ""}, "country_of_origin", "", "a value is required here"),
        (
            {"primary_language": "Mamm"},
            "primary_language",
            "Mamm",
            f"unknown language 'Mamm'; did you mean 'Mam'? {LANGUAGE_HINT}",
        ),
        (
            {"primary_language": "Zzyzx"},
            "primary_language",
            "Zzyzx",
            f"unknown language 'Zzyzx'; {LANGUAGE_HINT}",
        ),
        (
            {"other_languages": "Spanish;Kichee"},
            "other_languages",
            "Kichee",
            f"unknown language 'Kichee'; did you mean 'K'iche''? {LANGUAGE_HINT}",
        ),
        (
            {"court_code": "HOUS"},
            "court_code",
            "HOUS",
            "unknown court code 'HOUS'; did you mean 'HOU'? write a court's code from the court "
            "list (e.g. HOU), its name, or its city where only one court is in it",
        ),
        (
            {"court_code": "Houston"},
            "court_code",
            "Houston",
            "'Houston' has 2 immigration courts: HOS (Houston (S. Gessner Road) Immigration "
            "Court), HOU (Houston (Greenspoint Park) Immigration Court); write the code of the one "
            "meant",
        ),
        (
            {"case_type": "asylumm"},
            "case_type",
            "asylumm",
            "unknown case type 'asylumm'; did you mean 'asylum'? use one of asylum, sijs, t_visa, "
            "u_visa, removal_defense",
        ),
        (
            {"next_hearing_date": "2026/12/01"},
            "next_hearing_date",
            "2026/12/01",
            "not a date in an accepted form: write YYYY-MM-DD (e.g. 2026-03-14) or M/D/YYYY "
            "(e.g. 3/14/2026); a two-digit year is not accepted; if a spreadsheet changed it, "
            "format the column as text",
        ),
        (
            {"detained": "maybe"},
            "detained",
            "maybe",
            "not true or false; write true/false, yes/no or 1/0",
        ),
        ({"detained": ""}, "detained", "", "a value is required here"),
    ],
)
def test_a_bad_child_cell_is_reported_precisely(recorded, cells, column, value, message):
    data = rows(CHILDREN, child(**{"external_id": "C-2", "a_number": "", **cells}))
    assert only_error(recorded, CHILDREN, data) == RowError(2, column, value, message)


def test_every_bad_row_is_reported_in_file_order(recorded):
    errors = rejected(
        recorded,
        CHILDREN,
        rows(
            CHILDREN,
            child(external_id="C-7", a_number="", sex="Q", court_code="ZZZ"),
            child(external_id="C-8", a_number=""),
            child(external_id="C-9", a_number="", detained="maybe"),
        ),
    )
    assert [(e.line, e.column) for e in errors] == [(2, "sex"), (2, "court_code"), (4, "detained")]


def test_duplicate_external_ids_in_a_file_are_refused(recorded):
    errors = rejected(
        recorded,
        CHILDREN,
        rows(
            CHILDREN,
            child(external_id="C-5", a_number=""),
            child(external_id="C-6", a_number=""),
            child(external_id="C-5", a_number="", first_name="Other"),
        ),
    )
    assert errors == [
        RowError(
            4,
            "external_id",
            "C-5",
            "also on line 2; each child has one row (a re-import updates the child)",
        )
    ]


def test_duplicate_a_numbers_in_a_file_are_refused(recorded):
    errors = rejected(
        recorded,
        CHILDREN,
        rows(
            CHILDREN,
            child(external_id="C-5", a_number="987654321"),
            child(external_id="C-6", a_number="A987-654-321"),
        ),
    )
    assert errors == [
        RowError(
            3, "a_number", "*********", "the same A-number is on line 2; each child has their own"
        )
    ]


def test_an_a_number_of_another_recorded_child_is_refused(recorded):
    error = only_error(recorded, CHILDREN, rows(CHILDREN, child(external_id="C-2")))
    assert error == RowError(
        2,
        "a_number",
        "*********",
        "this A-number belongs to another child already recorded (external_id 'C-1'); correct "
        "it, or update that child instead",
    )


def test_errors_never_show_a_numbers_or_names(recorded):
    with pytest.raises(ImportFailed) as failed, recorded.begin():
        import_csv(
            recorded,
            CHILDREN,
            rows(CHILDREN, child(external_id="C-2", first_name="Bartolomea" * 11)),
            actor="test",
        )
    assert "123456789" not in str(failed.value) and "Bartolomea" not in str(failed.value)
