"""Recruitment targets on the database: real runs, the targets job, the report, and the check
that matters: recruit the attorney a target names, run again, and the run gains what was shown."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixtures import factories as f
from jobs.matching import run_match
from jobs.recruitment import compute_targets
from matcher.recruitment import RecruitProfile
from matcher.rules import CaseType, Tier
from models.entities import Court, MatchRun
from models.recruitment import latest_targets, profile_of
from reports.filters import ReportFilters
from reports.recruitment import NO_TARGETS, answer_what_if, recruitment_report
from tests.conftest import TODAY

TIERS = [tier.name for tier in Tier]


@pytest.fixture
def houston(db, factories):
    """Houston: 7 urgent Mam children nobody speaks for (one detained); 8 Spanish children (T3)
    for the 3 slots of two attorneys; 2 Spanish SIJS children (T3) nobody covers."""
    for n in range(7):
        f.ChildFactory(
            language_code="mam", next_hearing_date=TODAY + timedelta(days=5), detained=n == 0
        )
    for _ in range(8):
        f.ChildFactory(next_hearing_date=TODAY + timedelta(days=60))
    for _ in range(2):
        f.ChildFactory(case_type=CaseType.SIJS)
    f.AttorneyFactory(capacity=2)
    f.AttorneyFactory(capacity=1)
    factories.commit()
    run_match(db, as_of=TODAY, trigger="command")
    compute_targets(db)
    return db


def matched(db, run_id):
    with db.session() as session:
        return dict(session.get_one(MatchRun, run_id).matched_per_tier)


def recruit(session, profile: RecruitProfile):
    """The attorney a profile describes, as an import would record them."""
    court = session.get_one(Court, profile.court_id)
    return f.AttorneyFactory(
        court_codes=(court.code,),
        states=(court.state,),
        language_levels={profile.language: profile.language_level.value},
        expertise_levels={profile.case_type.value: profile.expertise.value},
        capacity=profile.slots,
        takes_detained=profile.takes_detained,
        home_latitude=None,
        home_longitude=None,
        travel_radius_km=0,
    )


def test_before_any_targets_the_report_says_when_they_come(session):
    report = recruitment_report(session, ReportFilters(), TODAY)
    assert report.empty and report.empty_message == NO_TARGETS


def test_targets_urgent_first_with_the_engines_gain(houston):
    with houston.session() as session:
        report = recruitment_report(session, ReportFilters(), TODAY)
    rows = report.table("targets").shown().to_dict("records")
    assert [row["recruit"] for row in rows] == [
        "Houston (HOU), Mam, asylum, detained cases, 3 slots",
        "Houston (HOU), Spanish, asylum, 3 slots",
        "Houston (HOU), Spanish, SIJS, 3 slots",
    ]
    mam, spanish, sijs = rows
    assert [mam[f"gain {t}"] for t in TIERS] == [3, 0, 0, 0]
    assert [spanish[f"gain {t}"] for t in TIERS] == [0, 0, 3, 0]
    assert [sijs[f"gain {t}"] for t in TIERS] == [0, 0, 2, 0]
    assert mam["unmatched T1"] == 7 and spanish["unmatched T3"] == 5
    assert sijs["unmatched T3"] == "<5"  # the group's children follow the small-cell rule
    figures = {figure.label: figure.value for figure in report.figures}
    assert figures["recruit first"] == mam["recruit"]
    assert report.table("targets").csv().splitlines()[1].startswith("1,")


def test_recruiting_the_target_gains_what_it_showed_in_a_real_run(houston, factories):
    snapshot = latest_targets(factories)
    top = snapshot.data["targets"][0]
    recruit(factories, profile_of(top))
    factories.commit()
    before = matched(houston, snapshot.data["run_id"])
    again = run_match(houston, as_of=TODAY, trigger="command")
    after = matched(houston, again.run_id)
    assert {t: after[t] - before[t] for t in TIERS} == top["gain_per_tier"]
    assert top["gain_per_tier"]["T1"] == 3


def test_what_if_several_recruits_equals_the_run_with_them(houston, factories):
    with houston.session() as session:
        court = session.query(Court).filter_by(code="HOU").one()
        profiles = [
            RecruitProfile(court.id, "mam", CaseType.ASYLUM, takes_detained=False, slots=7),
            RecruitProfile(court.id, "spa", CaseType.SIJS, slots=1),
        ]
        answer = answer_what_if(session, profiles)
    assert answer is not None
    # Not taking detained cases, the Mam recruit leaves the detained child and takes a Spanish
    # T3 child through an interpreter with its seventh slot; the SIJS recruit one SIJS child.
    assert answer.found.gain == {Tier.T1: 6, Tier.T2: 0, Tier.T3: 2, Tier.T4: 0}
    shown = answer.table.numbers.set_index("tier")
    before = matched(houston, answer.run_id)
    assert shown.loc["T1", "matched by the latest run"] == before["T1"]
    assert shown.loc["T1", "with these recruits"] == before["T1"] + 6
    for profile in profiles:
        recruit(factories, profile)
    factories.commit()
    after = matched(houston, run_match(houston, as_of=TODAY, trigger="command").run_id)
    assert {t: after[t] - before[t] for t in TIERS} == {
        tier.name: n for tier, n in answer.found.gain.items()
    }


def test_filters_keep_the_recruits_of_that_court_language_and_case_type(houston):
    with houston.session() as session:
        mam = recruitment_report(session, ReportFilters(language="mam"), TODAY)
        sijs = recruitment_report(session, ReportFilters(case_type=CaseType.SIJS), TODAY)
        elsewhere = recruitment_report(session, ReportFilters(state="NY"), TODAY)
        houston_court = recruitment_report(session, ReportFilters(court="HOU"), TODAY)
    assert mam.table("targets").numbers["recruit"].str.contains("Mam").all()
    assert len(mam.table("targets").numbers) == 1
    assert len(sijs.table("targets").numbers) == 1
    assert elsewhere.table("targets").empty and not elsewhere.figures
    assert len(houston_court.table("targets").numbers) == 3


def test_a_run_that_leaves_nobody_unmatched_has_no_one_to_recruit_for(db, factories):
    f.ChildFactory()
    f.AttorneyFactory()
    factories.commit()
    run_match(db, as_of=TODAY, trigger="command")
    outcome = compute_targets(db)
    assert outcome is not None and outcome.targets == ()
    with db.session() as session:
        report = recruitment_report(session, ReportFilters(), TODAY)
    assert (
        report.empty_message
        == f"Run #{outcome.run_id} left no child unmatched: nobody to recruit for."
    )


def test_no_run_no_targets(db):
    assert compute_targets(db) is None
    with db.session() as session:
        assert answer_what_if(session, [RecruitProfile(1, "spa", CaseType.ASYLUM)]) is None


def test_the_targets_carry_no_child(houston, session):
    names = {c.first_name for c in session.query(f.ChildFactory._meta.model)}
    numbers = {c.a_number for c in session.query(f.ChildFactory._meta.model)}
    data = str(latest_targets(session).data)
    csv = recruitment_report(session, ReportFilters(), TODAY).table("targets").csv()
    for text in (data, csv):
        assert not any(name in text for name in names)
        assert not any(number in text for number in numbers)
