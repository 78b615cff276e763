"""The settings registry: every setting's good and bad input, the readers refusing stored values
they cannot use, and changes written with their old and new values in the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from matcher.problem import DEFAULT_INTERPRETER_LANGUAGES, MatchSettings
from models.entities import AuditEvent, Language
from models.languages import shipped_languages
from models.setting_changes import SettingsRefused, change_settings, history_lines, setting_history
from models.setting_kinds import SettingInvalid
from models.settings import (
    DEFAULT_RETENTION_YEARS,
    MATCH_WEIGHTS_KEY,
    OFFER_REMINDER_DAYS_KEY,
    RETENTION_YEARS_KEY,
    SCHEDULE_KEY,
    WEIGHT_NAMES,
    all_settings,
    interpreter_languages,
    load_match_settings,
    offer_timing,
    put_setting,
    registry,
    retention_years,
    schedule_setting,
    setting_named,
    solver_time_limit_s,
    stability_bonus,
)

WEIGHTS = [f"{MATCH_WEIGHTS_KEY}.{name}" for name in WEIGHT_NAMES if name != "distance_cap_km"]
NOT_NUMBERS = ["", "abc", "1e3", "nan", "inf", "-inf", "1,5", "0x10", "½", "٣", "9" * 40]
NOT_WHOLE = ["", "abc", "2.5", "1e3", "nan", "٣", "9" * 40]

# name -> [(typed, as stored)]
GOOD: dict[str, list[tuple[str, object]]] = {
    "schedule.timezone": [
        ("America/Chicago", "America/Chicago"),
        (" america/los_angeles ", "America/Los_Angeles"),
        ("UTC", "UTC"),
    ],
    "schedule.nightly_match": [
        ("02:15", {"hour": "2", "minute": "15", "second": "0"}),
        ("0:00", {"hour": "0", "minute": "0", "second": "0"}),
        ("23:59", {"hour": "23", "minute": "59", "second": "0"}),
    ],
    "schedule.report_snapshot": [("04:45", {"hour": "4", "minute": "45", "second": "0"})],
    "schedule.coordinator_digest": [("7:30", {"hour": "7", "minute": "30", "second": "0"})],
    "schedule.retention": [("23:05", {"hour": "23", "minute": "5", "second": "0"})],
    "schedule.offer_clock": [
        ("0", {"minute": "0", "second": "0"}),
        ("59", {"minute": "59", "second": "0"}),
    ],
    "match.interpreter_languages": [
        ("Spanish; K'iche'", ["quc", "spa"]),
        ("español;Kreyòl; ; por", ["hat", "por", "spa"]),
        ("", []),
    ],
    "match.mentored_for_detained": [("yes", True), ("No", False)],
    "match.solver_time_limit_s": [("1", 1.0), ("7.5", 7.5), ("3600", 3600.0)],
    "match.stability_bonus": [("0", 0.0), ("5", 5.0), ("100", 100.0), (".5", 0.5)],
    **{name: [("0", 0.0), ("12.5", 12.5), ("1000", 1000.0)] for name in WEIGHTS},
    "match.weights.distance_cap_km": [("1", 1.0), ("250", 250.0), ("5000", 5000.0)],
    "offers.reminder_days": [("1", 1), ("30", 30), ("+3", 3)],
    "offers.expiry_days": [("2", 2), ("60", 60)],
    "offers.expired_pair_pause_days": [("1", 1), ("365", 365)],
    "privacy.retention_years": [("1", 1), ("7", 7), ("50", 50)],
    "imports.dates_day_first": [("yes", True), ("no", False)],
    "app.base_url": [
        ("https://counsel.example.org/", "https://counsel.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
}
BAD: dict[str, list[str]] = {
    "schedule.timezone": ["", "Mars/Olympus_Mons", "EST5EDT\x00", "America/New York", "x" * 300],
    "schedule.nightly_match": ["", "24:00", "12:60", "3pm", "03:30:00", "1:2", "-1:00", "99999:00"],
    "schedule.report_snapshot": ["4.30", "noon"],
    "schedule.coordinator_digest": ["07h00", "7"],
    "schedule.retention": ["5 am", "24:00"],
    "schedule.offer_clock": ["", "60", "-1", "15.5", "every", "9" * 40],
    "match.interpreter_languages": ["Klingonish", "Spanish; Nosuchlang", "x" * 2001],
    "match.mentored_for_detained": ["", "maybe", "true", "1"],
    "match.solver_time_limit_s": [*NOT_NUMBERS, "0", "0.5", "3600.5", "-5"],
    "match.stability_bonus": [*NOT_NUMBERS, "-1", "100.01", "101"],
    **{name: [*NOT_NUMBERS, "-1", "1000.5", "1" * 13] for name in WEIGHTS},
    "match.weights.distance_cap_km": [*NOT_NUMBERS, "0", "5001"],
    "offers.reminder_days": [*NOT_WHOLE, "0", "31", "-2"],
    "offers.expiry_days": [*NOT_WHOLE, "1", "61"],
    "offers.expired_pair_pause_days": [*NOT_WHOLE, "0", "366"],
    "privacy.retention_years": [*NOT_WHOLE, "0", "51", "99999999999"],
    "imports.dates_day_first": ["", "day", "1", "yes\x00"],
    "app.base_url": [
        "",
        "ftp://a.org",
        "example.org",
        "https://",
        "https://a.org/?x=1",
        "https://a b",
    ],
}


def test_every_setting_has_good_and_bad_cases_here():
    names = [spec.name for spec in all_settings()]
    assert len(names) == len(set(names))
    assert len({spec.field_name for spec in all_settings()}) == len(names)
    assert set(GOOD) == set(names) == set(BAD)


def test_every_weight_of_the_engine_is_a_setting_with_the_engines_default():
    for name in WEIGHT_NAMES:
        spec = setting_named(f"{MATCH_WEIGHTS_KEY}.{name}")
        assert spec is not None and spec.default == getattr(MatchSettings(), name)


def test_every_default_is_allowed_and_is_what_the_readers_give_on_an_empty_database(session):
    for spec in all_settings():
        assert spec.check(spec.to_stored(spec.default)) == spec.default, spec.name
        assert spec.read(session) == spec.default, spec.name
    assert offer_timing(session).expiry_days == 5
    assert solver_time_limit_s(session) == 120.0
    assert stability_bonus(session) == 5.0
    assert retention_years(session) == DEFAULT_RETENTION_YEARS
    assert schedule_setting(session).timezone == "America/New_York"
    assert load_match_settings(session) == MatchSettings()


def test_the_shipped_interpreter_languages_are_the_engines_default(session):
    shipped = {entry.code for entry in shipped_languages() if entry.interpreter_available}
    assert shipped == DEFAULT_INTERPRETER_LANGUAGES == interpreter_languages(session)


@pytest.mark.parametrize(
    ("name", "typed", "stored"),
    [(name, typed, stored) for name, cases in GOOD.items() for typed, stored in cases],
)
def test_good_input_is_read(session, name, typed, stored):
    spec = setting_named(name)
    value = spec.parse(session, typed)
    assert spec.to_stored(value) == stored
    assert spec.check(spec.to_stored(value)) == value


@pytest.mark.parametrize(
    ("name", "typed"),
    [(name, typed) for name, cases in BAD.items() for typed in [*cases, "1\x00"]],
)
def test_bad_input_is_refused_with_a_message_for_the_field(session, name, typed):
    spec = setting_named(name)
    with pytest.raises(SettingInvalid) as refused:
        spec.parse(session, typed)
    assert refused.value.name == name
    message = refused.value.message
    assert message and message[0].isupper() or message.startswith("'")
    assert "\x00" not in message and len(message) < 700


def test_messages_say_what_to_write(session):
    def message(name, typed):
        with pytest.raises(SettingInvalid) as refused:
            setting_named(name).parse(session, typed)
        return refused.value.message

    assert "Did you mean America/New_York?" in message("schedule.timezone", "America/NewYork")
    assert "HH:MM on the 24-hour clock" in message("schedule.nightly_match", "25:00")
    assert message("offers.reminder_days", "31") == "Must be from 1 to 30 days."
    assert message("offers.reminder_days", "two") == (
        "Write a whole number of days (digits only), e.g. 2."
    )
    assert message("match.weights.tender_age", "-1") == "Must be from 0 to 1000 points."
    assert "NUL" in message("match.weights.tender_age", "1\x00")
    assert "did you mean 'Spanish'?" in message("match.interpreter_languages", "Spanich")
    assert "not a web address" in message("app.base_url", "https://a.org/\x00")


@pytest.mark.parametrize(
    ("key", "stored", "reader"),
    [
        (OFFER_REMINDER_DAYS_KEY, 0, offer_timing),
        (OFFER_REMINDER_DAYS_KEY, "2", offer_timing),
        (OFFER_REMINDER_DAYS_KEY, True, offer_timing),
        (OFFER_REMINDER_DAYS_KEY, 9, offer_timing),  # not before the expiry (5 days)
        ("match.solver_time_limit_s", 1e9, solver_time_limit_s),
        ("match.solver_time_limit_s", 0.5, solver_time_limit_s),
        ("match.stability_bonus", 101, stability_bonus),
        (MATCH_WEIGHTS_KEY, {"tender_age": -5}, load_match_settings),
        (MATCH_WEIGHTS_KEY, [1, 2], load_match_settings),
        ("match.mentored_for_detained", "yes", load_match_settings),
        (SCHEDULE_KEY, {"timezone": "Mars/Base"}, schedule_setting),
        (SCHEDULE_KEY, {"nightly_match": "03:30"}, schedule_setting),
        (SCHEDULE_KEY, {"offer_clock": {"minutes": "15"}}, schedule_setting),
        (RETENTION_YEARS_KEY, 51, retention_years),
        ("app.base_url", "ftp://x.org", lambda s: setting_named("app.base_url").read(s)),
    ],
)
def test_a_reader_refuses_a_stored_value_it_cannot_use_naming_the_setting(
    session, key, stored, reader
):
    put_setting(session, key, stored)
    session.flush()
    with pytest.raises(ValueError, match=r"The [a-z_.]+ setting"):
        reader(session)
    session.rollback()


def test_cron_fields_set_by_hand_are_read_and_shown_as_they_are(session):
    put_setting(session, SCHEDULE_KEY, {"nightly_match": {"second": "*/4"}})
    session.flush()
    assert schedule_setting(session).nightly_match == {"second": "*/4"}
    spec = setting_named("schedule.nightly_match")
    assert spec.text(session, spec.stored(session)) == "cron second=*/4"
    session.rollback()


@pytest.mark.parametrize("years", [1, 50, 0, 51])
def test_the_retention_setting_allows_exactly_what_its_reader_does(session, years):
    spec = setting_named(RETENTION_YEARS_KEY)
    put_setting(session, RETENTION_YEARS_KEY, years)
    session.flush()
    try:
        read = retention_years(session)
    except ValueError:
        read = None
    assert spec.valid(years) == (read == years)
    session.rollback()


def test_a_change_is_written_and_audited_with_old_and_new_values(session, interpreters_restored):
    with session.begin():
        changes = change_settings(
            session,
            "admin@example.org",
            {
                "schedule.nightly_match": "02:15",
                "match.weights.tender_age": "12.5",
                "match.interpreter_languages": "Spanish; Mam",
                "offers.expiry_days": "5",  # as it is: not a change
            },
        )
    assert {c.name: (c.old, c.new) for c in changes} == {
        "schedule.nightly_match": ("03:30", "02:15"),
        "match.interpreter_languages": (
            "French; Haitian Creole; Portuguese; Spanish",
            "Mam; Spanish",
        ),
        "match.weights.tender_age": ("10", "12.5"),
    }
    assert schedule_setting(session).nightly_match == {"hour": "2", "minute": "15", "second": "0"}
    assert load_match_settings(session).tender_age == 12.5
    assert interpreter_languages(session) == {"spa", "mam"}
    events = {
        e.entity_id: e.details
        for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "setting_changed"))
    }
    assert events["schedule.nightly_match"] == {
        "old": {"hour": "3", "minute": "30", "second": "0"},
        "new": {"hour": "2", "minute": "15", "second": "0"},
    }
    assert events["match.weights.tender_age"] == {"old": 10.0, "new": 12.5}
    assert events["match.interpreter_languages"] == {
        "old": ["fra", "hat", "por", "spa"],
        "new": ["mam", "spa"],
    }
    lines = history_lines(session, list(session.scalars(setting_history())))
    shown = {line.label: (line.old, line.new) for line in lines}
    assert shown["Nightly match"] == ("03:30", "02:15")
    assert shown["Interpreter languages"] == (
        "French; Haitian Creole; Portuguese; Spanish",
        "Mam; Spanish",
    )


def test_a_refused_change_writes_nothing_and_names_every_field_at_fault(session):
    with pytest.raises(SettingsRefused) as refused, session.begin():
        change_settings(
            session,
            "admin@example.org",
            {
                "schedule.nightly_match": "02:15",
                "schedule.timezone": "Nowhere/Land",
                "offers.reminder_days": "\x00",
            },
        )
    assert set(refused.value.errors) == {"schedule.timezone", "offers.reminder_days"}
    assert schedule_setting(session).nightly_match == {"hour": "3", "minute": "30", "second": "0"}
    assert session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"offers.reminder_days": "5"}, "offers.reminder_days"),
        ({"offers.expiry_days": "2"}, "offers.expiry_days"),
        ({"offers.reminder_days": "6", "offers.expiry_days": "6"}, "offers.reminder_days"),
    ],
)
def test_the_offer_reminder_must_come_before_the_expiry(session, typed, field):
    with pytest.raises(SettingsRefused) as refused, session.begin():
        change_settings(session, "admin@example.org", typed)
    assert list(refused.value.errors) == [field]
    assert "must come before the expiry" in refused.value.errors[field]


def test_both_offer_days_may_move_together(session):
    with session.begin():
        change_settings(
            session, "admin@example.org", {"offers.reminder_days": "7", "offers.expiry_days": "10"}
        )
    timing = offer_timing(session)
    assert (timing.reminder_days, timing.expiry_days) == (7, 10)


def test_an_unknown_setting_is_refused(session):
    with pytest.raises(SettingsRefused, match="no setting"), session.begin():
        change_settings(session, "admin@example.org", {"match.colour": "blue"})


def _readme_settings_table() -> str:
    """The README's settings table as the registry gives it."""
    lines = ["| setting | meaning | unit | default | allowed |", "|---|---|---|---|---|"]
    for section in registry():
        for spec in section.settings:
            default = spec.plain(spec.to_stored(spec.default))
            if spec.name == "match.interpreter_languages":  # by name, as the page shows them
                names = {entry.code: entry.name for entry in shipped_languages()}
                default = "; ".join(sorted(names[code] for code in spec.default))
            meaning = spec.meaning.replace("|", "\\|")
            lines.append(
                f"| `{spec.name}` | **{spec.label}**. {meaning} | {spec.unit} | `{default}` | "
                f"{spec.allowed()} |"
            )
    return "\n".join(lines)


def test_the_readme_documents_every_setting_as_the_registry_declares_it():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    expected = _readme_settings_table()
    assert expected in readme, "README.md's settings table should read:\n" + expected


def test_the_interpreter_languages_are_the_catalogue_flags(session, interpreters_restored):
    with session.begin():
        change_settings(session, "admin@example.org", {"match.interpreter_languages": "Mam"})
    flagged = session.scalars(
        select(Language.code).where(Language.interpreter_available.is_(True))
    ).all()
    assert flagged == ["mam"]
