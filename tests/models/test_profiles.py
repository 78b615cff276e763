"""models.profiles, models.leave and models.volunteers: every field read as the import reads it,
every problem tied to its field, nothing written by a refused change, audit with names only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixtures import factories as f
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel
from models.entities import Attorney, AuditEvent, LeavePeriod, VolunteerStatus
from models.leave import LeaveInvalid, add_leave, change_leave, remove_leave
from models.profiles import ProfileInvalid, ProfileText, profile_text, read_profile, update_profile
from models.volunteers import (
    VolunteerRefused,
    VolunteerText,
    approve_volunteer,
    decline_volunteer,
    pending_volunteers,
    sign_up,
)
from tests.conftest import TODAY, days

GOOD = ProfileText(
    languages="English:native; K'iche':working; spanish:FLUENT",
    courts=["HOU", "dal"],
    states_admitted="TX; ny",
    home_latitude="29.76",
    home_longitude="-95.37",
    travel_radius_km="80",
    remote_ok=True,
    expertise={"asylum": "expert", "sijs": "mentored", "u_visa": ""},
    takes_detained=True,
    capacity="3",
)


def _problems(session, **changes) -> dict[str, list[str]]:
    text = ProfileText(**{**GOOD.__dict__, **changes})
    with pytest.raises(ProfileInvalid) as raised:
        read_profile(session, text)
    return raised.value.errors


def test_a_good_profile_is_read_like_an_imported_row(session):
    profile = read_profile(session, GOOD)
    assert sorted(profile.languages.values()) == sorted(
        [LanguageLevel.NATIVE, LanguageLevel.WORKING, LanguageLevel.FLUENT]
    )
    assert len(profile.court_ids) == 2
    assert profile.states == ["TX", "NY"]
    assert profile.home == (29.76, -95.37)
    assert profile.travel_radius_km == 80
    assert profile.expertise == {
        CaseType.ASYLUM: ExpertiseLevel.EXPERT,
        CaseType.SIJS: ExpertiseLevel.MENTORED,
    }
    assert (profile.capacity, profile.remote_ok, profile.takes_detained) == (3, True, True)


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"languages": "Klingon:fluent"}, "languages", "unknown language 'Klingon'"),
        ({"languages": "Spansh:fluent"}, "languages", "did you mean 'Spanish'?"),
        ({"languages": "Spanish"}, "languages", "write each item as name:level"),
        ({"languages": "Spanish:good"}, "languages", "unknown language level 'good'"),
        ({"languages": "Spanish:fluent; spanish:native"}, "languages", "listed twice"),
        ({"languages": ""}, "languages", "at least one language"),
        ({"languages": "Spanish\x00:fluent"}, "languages", "NUL character"),
        ({"languages": "Spanish:fluent;" * 500}, "languages", "Too long"),
        ({"courts": ["XYZ"]}, "courts", "unknown court code 'XYZ'"),
        ({"courts": ["H\x00U"]}, "courts", "NUL character"),
        ({"states_admitted": "Texas"}, "states_admitted", "two-letter postal code"),
        ({"home_latitude": ""}, "home_latitude", "Give the latitude too, or leave both empty."),
        ({"home_longitude": ""}, "home_longitude", "Give the longitude too"),
        ({"home_latitude": "95"}, "home_latitude", "between -90 and 90"),
        ({"home_longitude": "east"}, "home_longitude", "Not a number"),
        ({"home_latitude": "nan"}, "home_latitude", "between -90 and 90"),
        ({"travel_radius_km": "1001"}, "travel_radius_km", "between 0 and 1000 km"),
        ({"travel_radius_km": "12.5"}, "travel_radius_km", "Not a whole number"),
        ({"travel_radius_km": "-1"}, "travel_radius_km", "0 or more"),
        ({"capacity": "51"}, "capacity", "between 0 and 50 cases"),
        ({"capacity": ""}, "capacity", "A value is required"),
        ({"capacity": "9" * 5000}, "capacity", "Too long"),
        ({"capacity": "two"}, "capacity", "Not a whole number"),
        ({"expertise": {"asylum": "guru"}}, "expertise_asylum", "Unknown expertise level 'guru'"),
        ({"expertise": {}}, "expertise_asylum", "at least one case type"),
    ],
)
def test_each_problem_is_tied_to_its_field(session, changes, field, says):
    errors = _problems(session, **changes)
    assert list(errors) == [field]
    assert says in " ".join(errors[field])


def test_every_problem_is_reported_at_once(session):
    errors = _problems(session, languages="Klingon:fluent", capacity="x", states_admitted="ZZ")
    assert set(errors) == {"languages", "capacity", "states_admitted"}


def test_update_writes_audits_field_names_and_reads_back(factories):
    attorney = f.AttorneyFactory(capacity=2)
    factories.commit()
    with factories.begin():
        changed = update_profile(factories, attorney.id, GOOD, "cli")
    assert set(changed) == set(
        [
            "languages",
            "courts",
            "states_admitted",
            "home_latitude",
            "home_longitude",
            "travel_radius_km",
            "remote_ok",
            "expertise",
            "takes_detained",
            "capacity",
        ]
    )
    with factories.begin():
        event = factories.scalars(select(AuditEvent)).one()
        assert (event.action, event.entity_type, event.entity_id) == (
            "attorney_profile_updated",
            "attorney",
            str(attorney.id),
        )
        assert event.details == {"fields": changed}  # names only, never what was written
        again = profile_text(factories, factories.get_one(Attorney, attorney.id))
        # What the form shows reads back as the same profile: saving it changes nothing.
        assert update_profile(factories, attorney.id, again, "cli") == []
        assert again.capacity == "3" and again.courts == ["DAL", "HOU"]


def test_a_refused_profile_writes_nothing(factories):
    attorney = f.AttorneyFactory(capacity=2)
    factories.commit()
    with pytest.raises(ProfileInvalid), factories.begin():
        update_profile(
            factories, attorney.id, ProfileText(**{**GOOD.__dict__, "capacity": "99"}), "cli"
        )
    factories.expire_all()
    assert factories.get_one(Attorney, attorney.id).capacity == 2
    assert factories.scalars(select(AuditEvent)).all() == []


def test_update_of_no_such_attorney(session):
    with pytest.raises(LookupError), session.begin():
        update_profile(session, 4242, GOOD, "cli")


# --- leave ------------------------------------------------------------------------------------


def test_leave_added_changed_removed_and_audited(factories):
    attorney = f.AttorneyFactory()
    factories.commit()
    with factories.begin():
        period = add_leave(factories, attorney.id, days(10), days(20), TODAY, "cli")
        change_leave(factories, attorney.id, period.id, days(11), days(21), TODAY, "cli")
    with factories.begin():
        remove_leave(factories, attorney.id, period.id, "cli")
    actions = factories.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["leave_added", "leave_changed", "leave_removed"]
    assert factories.scalars(select(LeavePeriod)).all() == []


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        (days(20), days(10), "end_date", "must end on or after"),
        (days(-400), days(1), "start_date", "Must be between"),
        (days(1), days(5000), "end_date", "Must be between"),
        (days(15), days(25), "start_date", "Overlaps your leave from"),
        (days(5), days(10), "start_date", "Overlaps"),  # touching the first day
    ],
)
def test_bad_leave_is_refused_on_its_field(factories, start, end, field, says):
    attorney = f.AttorneyFactory(leave=((days(10), days(20)),))
    factories.commit()
    with pytest.raises(LeaveInvalid) as raised, factories.begin():
        add_leave(factories, attorney.id, start, end, TODAY, "cli")
    assert says in " ".join(raised.value.errors[field])


def test_leave_may_be_moved_over_its_own_days_but_not_anothers(factories):
    attorney = f.AttorneyFactory(leave=((days(10), days(20)), (days(30), days(40))))
    factories.commit()
    first, second = sorted(attorney.leave_periods, key=lambda p: p.start_date)
    with factories.begin():
        change_leave(factories, attorney.id, first.id, days(12), days(22), TODAY, "cli")
    with pytest.raises(LeaveInvalid), factories.begin():
        change_leave(factories, attorney.id, first.id, days(12), days(31), TODAY, "cli")
    other = f.AttorneyFactory()
    factories.commit()
    with pytest.raises(LookupError), factories.begin():
        change_leave(factories, other.id, second.id, days(50), days(51), TODAY, "cli")
    with pytest.raises(LookupError), factories.begin():
        remove_leave(factories, other.id, second.id, "cli")


# --- volunteers -------------------------------------------------------------------------------

WHO = VolunteerText(name="Dana Reyes", email=" Dana@Firm.example ", firm="Reyes LLP")


def test_sign_up_lands_pending_and_inactive(session):
    with session.begin():
        attorney = sign_up(session, WHO, GOOD, "client-key")
    with session.begin():
        stored = session.get_one(Attorney, attorney.id)
        assert (stored.active, stored.volunteer_status) == (False, VolunteerStatus.PENDING)
        assert stored.email == "dana@firm.example" and stored.capacity == 3
        assert [a.id for a in pending_volunteers(session)] == [attorney.id]
        event = session.scalars(select(AuditEvent)).one()
        assert (event.action, event.entity_id, event.details) == (
            "volunteer_signed_up",
            "client-key",
            {"attorney_id": attorney.id},
        )


@pytest.mark.parametrize(
    ("who", "field", "says"),
    [
        (VolunteerText(name="", email="a@b.org"), "name", "A value is required"),
        (VolunteerText(name="A", email="not-an-address"), "email", "Not an email address"),
        (VolunteerText(name="A" * 201, email="a@b.org"), "name", "Too long"),
        (VolunteerText(name="A\x00", email="a@b.org"), "name", "NUL character"),
    ],
)
def test_a_bad_sign_up_stores_nothing(session, who, field, says):
    with pytest.raises(ProfileInvalid) as raised, session.begin():
        sign_up(session, who, ProfileText(**{**GOOD.__dict__, "capacity": "x"}), "k")
    assert says in " ".join(raised.value.errors[field])
    assert "capacity" in raised.value.errors  # the profile's problems come at the same time
    assert session.scalars(select(Attorney)).all() == []


def test_approve_and_decline_only_a_pending_profile(factories):
    coordinator = f.UserFactory()
    imported = f.AttorneyFactory()
    factories.commit()
    with factories.begin():
        first = sign_up(factories, WHO, GOOD, "k")
        second = sign_up(factories, WHO, GOOD, "k")
    with factories.begin():
        approve_volunteer(factories, first.id, coordinator)
        decline_volunteer(factories, second.id, coordinator)
    with factories.begin():
        assert (first.active, first.volunteer_status) == (True, VolunteerStatus.APPROVED)
        assert (second.active, second.volunteer_status) == (False, VolunteerStatus.DECLINED)
    for attorney_id in (first.id, second.id, imported.id):
        with pytest.raises(VolunteerRefused, match="not awaiting an answer"), factories.begin():
            approve_volunteer(factories, attorney_id, coordinator)
    with pytest.raises(LookupError), factories.begin():
        decline_volunteer(factories, 987654, coordinator)
