"""Spreadsheet import: good files land; every kind of bad input is reported precisely (line,
column, value, what to do) and changes nothing; re-import updates; a dry run writes nothing."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel
from models import (
    Attorney,
    AuditEvent,
    Child,
    Conflict,
    Language,
    SiblingGroup,
)
from models.base import Base, utcnow
from models.csv_formats import COLUMNS, CsvKind
from models.imports import ImportFailed, ImportSummary, RowError, import_csv
from tests.conftest import REFERENCE_TABLES

CHILDREN, ATTORNEYS, CONFLICTS = CsvKind.CHILDREN, CsvKind.ATTORNEYS, CsvKind.CONFLICTS

# One row of each kind, every cell given, as a coordinator would write it.
CHILD = {
    "external_id": "C-1",
    "first_name": "Ana",
    "last_name": "Xol",
    "a_number": "A123-456-789",
    "birth_date": "2010-05-01",
    "sex": "F",
    "country_of_origin": "Guatemala",
    "primary_language": "Kiche",
    "other_languages": "Spanish",
    "court_code": "HOU",
    "case_type": "asylum",
    "next_hearing_date": "2026-12-01",
    "detained": "false",
    "sibling_group": "XOL",
    "intake_date": "2026-01-05",
}
ATTORNEY = {
    "external_id": "A-1",
    "name": "Rosa Diaz",
    "email": "rdiaz@example.org",
    "firm": "Diaz & Cole LLP",
    "languages": "Spanish:native;English:fluent",
    "courts": "HOU;DAL",
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
}
CONFLICT = {"attorney_external_id": "A-1", "child_external_id": "C-1", "reason": "family friend"}


def header(kind: CsvKind) -> str:
    return ",".join(COLUMNS[kind])


def lines(kind: CsvKind, *rows: str) -> bytes:
    """A file written line by line, under the header of `kind`."""
    return "\n".join([header(kind), *rows, ""]).encode()


def rows(kind: CsvKind, *cells: dict[str, str]) -> bytes:
    """A file of rows given as {column: value}, quoted as a spreadsheet would."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[kind], lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells)
    return out.getvalue().encode()


def child(**cells: str) -> dict[str, str]:
    return {**CHILD, **cells}


def attorney(**cells: str) -> dict[str, str]:
    return {**ATTORNEY, **cells}


def run(session: Session, kind: CsvKind, data: bytes, **options: object) -> ImportSummary:
    """Import in a transaction of its own, as a caller does."""
    session.commit()  # end the read transaction a previous query opened
    with session.begin():
        return import_csv(session, kind, data, actor="test", filename="in.csv", **options)  # type: ignore[arg-type]


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table but the reference data."""
    return {
        table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)).all())
        for table in Base.metadata.sorted_tables
        if table.name not in REFERENCE_TABLES
    }


def rejected(session: Session, kind: CsvKind, data: bytes, **options: object) -> list[RowError]:
    """The errors of an import that must fail, checking in its own transaction that it wrote
    nothing (so a rollback cannot hide a write)."""
    session.commit()
    with session.begin():
        before = snapshot(session)
        with pytest.raises(ImportFailed) as failed:
            import_csv(session, kind, data, actor="test", filename="in.csv", **options)  # type: ignore[arg-type]
        assert snapshot(session) == before
    assert failed.value.filename == "in.csv"
    return failed.value.errors


def only_error(session: Session, kind: CsvKind, data: bytes) -> RowError:
    errors = rejected(session, kind, data)
    assert len(errors) == 1, errors
    return errors[0]


def by_external_id(session: Session, entity: type[Child] | type[Attorney], external_id: str):
    return session.scalars(select(entity).where(entity.external_id == external_id)).one()


def count(session: Session, entity: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(entity))


@pytest.fixture
def recorded(session: Session) -> Session:
    """A database that already holds attorney A-1 and child C-1 (A-number 123456789), so that a
    failed import could visibly change or add records."""
    run(session, ATTORNEYS, rows(ATTORNEYS, ATTORNEY))
    run(session, CHILDREN, rows(CHILDREN, CHILD))
    return session


# --- children ---------------------------------------------------------------------------------

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


LANGUAGE_HINT = (
    "write its name as in the language list (e.g. Spanish, K'iche', Mam) or its ISO 639-3 code"
)


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
            {"birth_date": "05/01/2010"},
            "birth_date",
            "05/01/2010",
            "not a date in the form YYYY-MM-DD (e.g. 2026-03-14); if a spreadsheet changed it, "
            "format the column as text",
        ),
        (
            {"birth_date": "2010-02-30"},
            "birth_date",
            "2010-02-30",
            "no such day (day is out of range for month); write a real date as YYYY-MM-DD",
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
            "unknown court code 'HOUS'; did you mean 'HOU'? use a code from the court list "
            "(e.g. HOU)",
        ),
        (
            {"court_code": "Houston"},
            "court_code",
            "Houston",
            "unknown court code 'Houston'; did you mean 'HOS' or 'HOU'? use a code from the court "
            "list (e.g. HOU)",
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
            "not a date in the form YYYY-MM-DD (e.g. 2026-03-14); if a spreadsheet changed it, "
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


@contextmanager
def languages_sharing_a_name(session: Session) -> Iterator[str]:
    """Two catalogue entries named alike (codes qaa and qab, which ISO 639-3 reserves for local
    use), so that the name resolves to neither; yields the name. Nothing is committed: the
    session is rolled back after, and the entries deleted should anything have committed them."""
    session.commit()
    session.add_all([Language(code=code, name="Shared Name") for code in ("qaa", "qab")])
    session.flush()
    try:
        yield "Shared Name"
    finally:
        session.rollback()
        session.execute(delete(Language).where(Language.code.in_(["qaa", "qab"])))
        session.commit()


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


# --- attorneys --------------------------------------------------------------------------------


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
            "unknown court code 'HOUS'; did you mean 'HOU'? use a code from the court list "
            "(e.g. HOU)",
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
            "not a date in the form YYYY-MM-DD (e.g. 2026-03-14); if a spreadsheet changed it, "
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


# --- conflicts --------------------------------------------------------------------------------


def test_conflicts_import_and_reimport_updates_the_reason(recorded):
    data = lines(CONFLICTS, 'A-1,C-1,"met the family, at church"')
    assert run(recorded, CONFLICTS, data) == ImportSummary(CONFLICTS, 1, created=1, updated=0)
    assert recorded.scalars(select(Conflict.reason)).one() == "met the family, at church"

    data = lines(CONFLICTS, "A-1,C-1,represented the sponsor")
    assert run(recorded, CONFLICTS, data) == ImportSummary(CONFLICTS, 1, created=0, updated=1)
    conflict = recorded.scalars(select(Conflict)).one()
    assert conflict.reason == "represented the sponsor"
    assert (conflict.attorney_id, conflict.child_id) == (
        by_external_id(recorded, Attorney, "A-1").id,
        by_external_id(recorded, Child, "C-1").id,
    )


def test_conflicts_must_name_recorded_attorneys_and_children(recorded):
    errors = rejected(recorded, CONFLICTS, lines(CONFLICTS, "A-9,C-1,", "A-1,C-404,x", "A-1,,y"))
    assert errors == [
        RowError(
            2,
            "attorney_external_id",
            "A-9",
            "no attorney with this external_id is recorded; import the attorneys file first, or "
            "correct the id",
        ),
        RowError(
            3,
            "child_external_id",
            "C-404",
            "no child with this external_id is recorded; import the children file first, or "
            "correct the id",
        ),
        RowError(4, "child_external_id", "", "a value is required here"),
    ]


def test_a_conflict_pair_twice_in_a_file_is_refused(recorded):
    errors = rejected(recorded, CONFLICTS, lines(CONFLICTS, "A-1,C-1,a", "A-1,C-1,b"))
    assert errors == [
        RowError(
            3,
            "child_external_id",
            "C-1",
            "this attorney and child are already paired on line 2; keep one row per pair",
        )
    ]


# --- the file as a whole ----------------------------------------------------------------------

SAVE_AS = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (.csv)'"


def whole_file(message: str) -> list[RowError]:
    return [RowError(0, "", "", message)]


@pytest.mark.parametrize("data", [b"", b"  \n\n"])
def test_an_empty_file_is_refused(recorded, data):
    assert rejected(recorded, CONFLICTS, data) == whole_file(
        "the file is empty; it needs a header row (attorney_external_id, child_external_id, "
        "reason) and one row per conflict"
    )


@pytest.mark.parametrize("data", [lines(CONFLICTS), lines(CONFLICTS, "", ",,")])
def test_a_header_without_rows_is_refused(recorded, data):
    assert rejected(recorded, CONFLICTS, data) == whole_file(
        "the file has a header row but no data rows; add one row per conflict"
    )


def test_missing_and_unknown_columns_are_listed(recorded):
    data = b"attorney_external_id,child_id,notes\nA-1,C-1,x\n"
    listing = "the columns are: attorney_external_id, child_external_id, reason"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(1, "child_id", "", f"unknown column; did you mean 'child_external_id'? {listing}"),
        RowError(1, "notes", "", f"unknown column; {listing}"),
        RowError(1, "child_external_id", "", f"required column is missing; {listing}"),
        RowError(1, "reason", "", f"required column is missing; {listing}"),
    ]


def test_a_column_twice_is_refused(recorded):
    data = b"attorney_external_id,child_external_id,reason,Reason\nA-1,C-1,x,y\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(1, "Reason", "", "this column appears twice; keep one of them")
    ]


def test_column_names_ignore_case_spaces_and_order(recorded):
    data = b" Reason ,Child External ID,ATTORNEY-EXTERNAL-ID\nno reason,C-1,A-1\n"
    run(recorded, CONFLICTS, data)
    assert recorded.scalars(select(Conflict.reason)).one() == "no reason"


def test_empty_columns_a_spreadsheet_appends_are_ignored(recorded):
    run(recorded, CONFLICTS, b"attorney_external_id,child_external_id,reason,,\nA-1,C-1,x,,\n")
    assert recorded.scalars(select(Conflict.reason)).one() == "x"


def test_a_value_under_a_column_without_a_name_is_refused(recorded):
    data = b"attorney_external_id,child_external_id,reason,\nA-1,C-1,x,\nA-1,C-1,y,stray\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(
            3,
            "",
            "",
            "field 4 of this row holds a value but its column has no name; name the column or "
            "delete the value",
        )
    ]


def test_semicolon_separated_files_are_explained(recorded):
    data = b"attorney_external_id;child_external_id;reason\nA-1;C-1;x\n"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(1, "", "", f"the columns are separated by semicolons, not commas; {SAVE_AS}")
    ]


def test_a_file_not_in_utf8_is_refused_naming_the_lines(recorded):
    data = lines(CONFLICTS, "A-1,C-1,fine", "A-1,C-1,Espa\u00f1a").replace(
        "\u00f1".encode(), b"\xf1"
    )
    assert rejected(recorded, CONFLICTS, data) == whole_file(
        "the file is not UTF-8 text (characters on line 3 cannot be read; it was probably saved "
        f"as Windows-1252 or Latin-1); {SAVE_AS}"
    )


def test_a_utf8_byte_order_mark_is_accepted(recorded):
    run(recorded, CONFLICTS, "\ufeff".encode() + lines(CONFLICTS, "A-1,C-1,Año nuevo"))
    assert recorded.scalars(select(Conflict.reason)).one() == "Año nuevo"


def _zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _png_file() -> bytes:
    buffer = io.BytesIO()
    Figure(figsize=(1, 1)).savefig(buffer, format="png")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (_zip_file, "this is a ZIP archive or an Excel workbook (.xlsx), not a CSV file"),
        (_png_file, "this is a PNG image, not a CSV file"),
        (
            lambda: lines(CONFLICTS).decode().encode("utf-16"),
            "this is text in UTF-16 (Excel's 'Unicode Text'), not a CSV file",
        ),
        (lambda: b"\x00\x01\x02binary", "this is a binary file, not a CSV file"),
    ],
)
def test_files_that_are_not_csv_are_refused(recorded, make, what):
    assert rejected(recorded, CONFLICTS, make()) == whole_file(f"{what}; {SAVE_AS}")


def test_rows_with_the_wrong_number_of_fields_are_listed(recorded):
    data = lines(CONFLICTS, "A-1,C-1,ok", "A-1,C-1,a,b", "A-1,C-1,ok", "A-1,C-1")
    message = "but the header has 3; a value that contains a comma must be in double quotes"
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(3, "", "", f"this row has 4 fields {message}"),
        RowError(5, "", "", f"this row has 2 fields {message}"),
    ]


def test_an_unclosed_quote_is_located(recorded):
    data = lines(CONFLICTS, "A-1,C-1,ok", 'A-1,C-1,"never closed', "A-1,C-1,x")
    assert rejected(recorded, CONFLICTS, data) == [
        RowError(
            3,
            "",
            "",
            "a double quote opened in this row is never closed, so the rest of the file would "
            "read as one value; close the quote or remove it",
        )
    ]


def test_line_numbers_are_spreadsheet_rows_across_blank_rows_and_multiline_cells(recorded):
    data = lines(CONFLICTS, 'A-1,C-1,"two\nlines"', "", ",,", "A-1,C-404,x")
    errors = rejected(recorded, CONFLICTS, data)
    assert [(e.line, e.column, e.value) for e in errors] == [(5, "child_external_id", "C-404")]


def test_blank_rows_are_skipped(recorded):
    summary = run(recorded, CONFLICTS, lines(CONFLICTS, "", "A-1,C-1,x", ",,", ""))
    assert summary == ImportSummary(CONFLICTS, rows=1, created=1, updated=0)


def test_cells_are_stripped_and_na_stays_text(recorded):
    run(recorded, CONFLICTS, lines(CONFLICTS, "  A-1 , C-1 ,NA"))
    assert recorded.scalars(select(Conflict.reason)).one() == "NA"


@pytest.mark.parametrize("given_as", ["Path", "str", "file object"])
def test_a_source_may_be_a_path_a_string_or_a_file_object(recorded, tmp_path: Path, given_as):
    path = tmp_path / "conflicts.csv"
    path.write_bytes(lines(CONFLICTS, "A-1,C-1,from a file"))
    recorded.commit()
    with path.open("rb") as opened, recorded.begin():
        source = {"Path": path, "str": str(path), "file object": opened}[given_as]
        summary = import_csv(recorded, CONFLICTS, source, actor="test")
    assert summary.created == 1
    assert recorded.scalars(select(Conflict.reason)).one() == "from a file"


def test_errors_name_the_file_a_path_came_from(recorded, tmp_path: Path):
    path = tmp_path / "conflicts.csv"
    path.write_bytes(lines(CONFLICTS, "A-1,C-404,"))
    with pytest.raises(ImportFailed) as failed, recorded.begin():
        import_csv(recorded, CONFLICTS, path, actor="test")
    assert failed.value.filename == str(path)
    assert str(failed.value).startswith(f"{path}:2: column child_external_id: value 'C-404': ")


def test_import_failed_lists_every_error_one_per_line(recorded):
    with pytest.raises(ImportFailed) as failed, recorded.begin():
        import_csv(
            recorded,
            CONFLICTS,
            b"attorney_external_id,child_external_id,reason\nA-9,,x\n",
            actor="test",
            filename="conflicts.csv",
        )
    assert str(failed.value).splitlines() == [
        "conflicts.csv:2: column attorney_external_id: value 'A-9': no attorney with this "
        "external_id is recorded; import the attorneys file first, or correct the id",
        "conflicts.csv:2: column child_external_id: value '': a value is required here",
    ]


def test_error_descriptions_leave_out_what_does_not_apply():
    assert RowError(0, "", "", "empty").describe("f.csv") == "f.csv: empty"
    assert RowError(1, "x", "", "unknown").describe("f.csv") == "f.csv:1: column x: unknown"
    assert RowError(4, "", "", "4 fields").describe("f.csv") == "f.csv:4: 4 fields"
    assert RowError(4, "sex", "Q", "bad").describe("f.csv") == "f.csv:4: column sex: value 'Q': bad"


def test_languages_resolve_through_the_catalogue_not_by_guessing(recorded):
    """A spelling known for one language never folds into another (here: Spanish)."""
    code = recorded.scalar(select(Language.code).where(Language.name == "Q'anjob'al"))
    run(recorded, CHILDREN, rows(CHILDREN, child(primary_language="Kanjobal", other_languages="")))
    assert by_external_id(recorded, Child, "C-1").primary_language.code == code == "kjb"
