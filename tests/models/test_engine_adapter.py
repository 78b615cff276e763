"""The adapter between the database and the engine: what the engine is shown, what a run saves."""

import dataclasses
import traceback
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from fixtures import factories as f
from matcher.problem import MatchSettings
from matcher.result import MatchResult, Proposal, SolveStatus, Unmatched, UnmatchedReason
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel, Tier
from models import CaseStatus, Language, Match, MatchEvent, MatchStatus, UnmatchedChild
from models.decisions import confirm
from models.engine_adapter import (
    CHANGED_WHILE_SOLVING,
    BulkWriteError,
    discard_staged,
    load_problem,
    save_result,
    stage_rows,
)
from models.entities import MatchRun, Role, StagedProposal, User
from models.settings import MATCH_WEIGHTS_KEY, load_match_settings, put_setting

AS_OF = date(2026, 11, 27)


def test_the_problem_holds_open_children_still_needing_counsel(factories):
    waiting = f.ChildFactory(language_code="mam", other_language_codes=["spa"])
    proposed = f.MatchFactory(status=MatchStatus.PROPOSED).child
    confirmed = f.MatchFactory(status=MatchStatus.CONFIRMED).child
    accepted = f.MatchFactory(status=MatchStatus.ACCEPTED).child
    f.ChildFactory(case_status=CaseStatus.CLOSED)
    factories.flush()

    problem = load_problem(factories, AS_OF)

    ids = {child.id for child in problem.children}
    assert ids == {waiting.id, proposed.id}
    assert confirmed.id not in ids and accepted.id not in ids
    child = next(c for c in problem.children if c.id == waiting.id)
    assert child.languages == ("mam", "spa")  # primary first: only it can be interpreted
    assert child.case_type is CaseType.ASYLUM
    assert problem.language_names["mam"] == "Mam"


def test_attorney_capacity_is_net_of_accepted_cases_and_confirmed_offers(factories):
    attorney = f.AttorneyFactory(
        capacity=5,
        imported_active_cases=1,
        language_levels={"spa": "native"},
        expertise_levels={"sijs": "expert"},
        leave=((AS_OF, AS_OF + timedelta(days=3)),),
    )
    f.MatchFactory(attorney=attorney, status=MatchStatus.ACCEPTED)
    f.MatchFactory(attorney=attorney, status=MatchStatus.CONFIRMED)
    f.MatchFactory(attorney=attorney, status=MatchStatus.PROPOSED)  # holds nothing yet
    f.MatchFactory(attorney=attorney, status=MatchStatus.DECLINED)
    f.AttorneyFactory(active=False)
    factories.flush()

    [loaded] = [a for a in load_problem(factories, AS_OF).attorneys if a.id == attorney.id]

    assert loaded.free_slots == 5 - 1 - 2
    assert loaded.current_load == 3
    assert loaded.languages == (("spa", LanguageLevel.NATIVE),)
    assert loaded.expertise == ((CaseType.SIJS, ExpertiseLevel.EXPERT),)
    assert loaded.leave == ((AS_OF, AS_OF + timedelta(days=3)),)
    assert loaded.court_ids == (attorney.courts[0].court_id,)


def test_rejected_and_declined_pairs_and_conflicts_are_excluded(factories):
    rejected = f.MatchFactory(status=MatchStatus.REJECTED)
    declined = f.MatchFactory(status=MatchStatus.DECLINED)
    superseded = f.MatchFactory(status=MatchStatus.SUPERSEDED)
    conflict = f.ConflictFactory()
    factories.flush()

    problem = load_problem(factories, AS_OF)

    assert problem.refused == {
        (rejected.child_id, rejected.attorney_id),
        (declined.child_id, declined.attorney_id),
    }
    assert (superseded.child_id, superseded.attorney_id) not in problem.refused
    assert problem.conflicts == {(conflict.child_id, conflict.attorney_id)}


def test_settings_come_from_the_database(factories):
    put_setting(factories, MATCH_WEIGHTS_KEY, {"tender_age": 25, "not_a_weight": 3})
    mam = factories.scalars(select(Language).where(Language.code == "mam")).one()
    mam.interpreter_available = True
    factories.flush()

    settings = load_match_settings(factories)

    assert settings.tender_age == 25.0
    assert settings.language_native == MatchSettings().language_native
    assert {"spa", "por", "fra", "hat", "mam"} <= settings.interpreter_languages
    factories.rollback()


def _result(*proposals: Proposal) -> MatchResult:
    return MatchResult(
        status=SolveStatus.OPTIMAL,
        proposals=proposals,
        unmatched=(),
        objective=0.0,
        bound=0.0,
        gap=0.0,
        matched_per_tier={},
        eligible_pairs=len(proposals),
        timings_s={},
    )


def _save(session, run, result):
    """As a run saves: its rows staged, then the review queue replaced (one transaction here)."""
    stage_rows(session, run.id, result.proposals, result.unmatched)
    return save_result(session, run, result)


def _proposal(child_id: int, attorney_id: int, tier: Tier = Tier.T1) -> Proposal:
    return Proposal(child_id, attorney_id, tier, 10.0, {"language": 10.0}, "speaks Spanish")


def test_saving_replaces_proposals_awaiting_review_and_keeps_decisions(factories):
    old = f.MatchFactory(status=MatchStatus.PROPOSED)
    confirmed = f.MatchFactory(status=MatchStatus.CONFIRMED)
    run = f.MatchRunFactory()
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    factories.commit()

    with factories.begin():
        saved = _save(factories, run, _result(_proposal(child.id, attorney.id)))

    assert (saved.proposed, saved.superseded, saved.dropped) == (1, 1, 0)
    factories.expire_all()
    assert factories.get(Match, old.id).status is MatchStatus.SUPERSEDED
    assert factories.get(Match, confirmed.id).status is MatchStatus.CONFIRMED
    new = factories.scalars(select(Match).where(Match.run_id == run.id)).one()
    assert (new.child_id, new.attorney_id, new.status) == (child.id, attorney.id, "proposed")
    assert new.score_parts == {"language": 10.0} and new.explanation == "speaks Spanish"
    history = factories.scalars(select(MatchEvent).order_by(MatchEvent.id)).all()
    assert [(e.match_id, e.from_status, e.to_status) for e in history] == [
        (old.id, MatchStatus.PROPOSED, MatchStatus.SUPERSEDED),
        (new.id, None, MatchStatus.PROPOSED),
    ]


def test_decisions_taken_while_solving_win_over_the_run(factories):
    """A child confirmed, a pair rejected, or a last slot taken during the solve is respected."""
    run = f.MatchRunFactory()
    attorney = f.AttorneyFactory(capacity=1)
    other = f.AttorneyFactory(capacity=3)
    confirmed_meanwhile = f.ChildFactory()
    rejected_meanwhile = f.ChildFactory()
    slot_taken = f.ChildFactory()
    fine = f.ChildFactory()
    group = f.SiblingGroupFactory()
    sibling_a = f.ChildFactory(sibling_group=group)
    sibling_b = f.ChildFactory(sibling_group=group)
    factories.flush()
    result = _result(
        _proposal(confirmed_meanwhile.id, other.id),
        _proposal(rejected_meanwhile.id, other.id),
        _proposal(slot_taken.id, attorney.id),
        _proposal(fine.id, other.id),
        _proposal(sibling_a.id, attorney.id, Tier.T2),
        _proposal(sibling_b.id, attorney.id, Tier.T2),
    )
    # What coordinators did while the engine was solving:
    f.MatchFactory(child=confirmed_meanwhile, attorney=other, status=MatchStatus.CONFIRMED)
    f.MatchFactory(child=rejected_meanwhile, attorney=other, status=MatchStatus.REJECTED)
    f.MatchFactory(attorney=attorney, status=MatchStatus.CONFIRMED)
    factories.commit()

    with factories.begin():
        saved = _save(factories, run, result)

    kept = factories.scalars(select(Match.child_id).where(Match.run_id == run.id)).all()
    assert kept == [fine.id]
    assert saved.dropped == 5
    reasons = dict(
        factories.execute(
            select(UnmatchedChild.child_id, UnmatchedChild.reason).where(
                UnmatchedChild.run_id == run.id
            )
        ).all()
    )
    dropped = {confirmed_meanwhile, rejected_meanwhile, slot_taken, sibling_a, sibling_b}
    assert reasons == {child.id: CHANGED_WHILE_SOLVING for child in dropped}


def test_a_dropped_sibling_group_gives_its_places_back(factories):
    """The group's places are not spent when the group is dropped: a later proposal still fits."""
    run = f.MatchRunFactory()
    attorney = f.AttorneyFactory(capacity=2)
    group = f.SiblingGroupFactory()
    sibling_a = f.ChildFactory(sibling_group=group)
    sibling_b = f.ChildFactory(sibling_group=group)
    later = f.ChildFactory()
    last = f.ChildFactory()
    factories.flush()
    result = _result(
        _proposal(sibling_a.id, attorney.id, Tier.T1),
        _proposal(sibling_b.id, attorney.id, Tier.T1),
        _proposal(later.id, attorney.id, Tier.T3),
        _proposal(last.id, attorney.id, Tier.T4),
    )
    f.MatchFactory(child=sibling_b, status=MatchStatus.REJECTED, attorney=attorney)
    factories.commit()

    with factories.begin():
        saved = _save(factories, run, result)

    kept = factories.scalars(select(Match.child_id).where(Match.run_id == run.id)).all()
    assert sorted(kept) == sorted([later.id, last.id]) and saved.dropped == 2


# --- staging: the long writes happen before the short replacement ------------------------------


def _unmatched(child_id: int) -> Unmatched:
    return Unmatched(child_id, Tier.T2, UnmatchedReason.TAKEN_BY_MORE_URGENT, "full", {}, ())


def test_staged_rows_become_the_review_queue_in_order_and_leave_nothing_staged(factories):
    run = f.MatchRunFactory()
    attorneys = [f.AttorneyFactory() for _ in range(3)]
    children = [f.ChildFactory() for _ in range(3)]
    waiting = f.ChildFactory()
    factories.commit()
    pairs = zip(children, attorneys, strict=True)
    result = dataclasses.replace(
        _result(*(_proposal(child.id, attorney.id) for child, attorney in pairs)),
        unmatched=(_unmatched(waiting.id),),
    )

    with factories.begin():
        stage_rows(factories, run.id, result.proposals[:2], result.unmatched)
    with factories.begin():
        stage_rows(factories, run.id, result.proposals[2:], ())
    staged = factories.scalar(select(func.count()).select_from(StagedProposal))
    assert staged == 3
    # Staged, not yet shown: the review queue is still empty.
    assert factories.scalars(select(Match)).all() == []
    factories.commit()
    with factories.begin():
        saved = save_result(factories, run, result)

    assert saved.proposed == 3
    matches = factories.scalars(select(Match).order_by(Match.id)).all()
    assert [m.child_id for m in matches] == [c.id for c in children]
    assert {(m.status, m.run_id, m.score, m.explanation) for m in matches} == {
        (MatchStatus.PROPOSED, run.id, 10.0, "speaks Spanish")
    }
    assert matches[0].score_parts == {"language": 10.0}
    events = factories.scalars(select(MatchEvent).order_by(MatchEvent.match_id)).all()
    assert [(e.match_id, e.to_status, e.reason) for e in events] == [
        (m.id, MatchStatus.PROPOSED, f"proposed by run {run.id}") for m in matches
    ]
    assert factories.scalar(select(func.count()).select_from(StagedProposal)) == 0
    [unmatched] = factories.scalars(select(UnmatchedChild)).all()
    assert (unmatched.child_id, unmatched.run_id) == (waiting.id, run.id)


def test_a_run_that_fails_after_staging_leaves_no_rows_behind(factories):
    run = f.MatchRunFactory()
    other_run = f.MatchRunFactory()
    child, attorney = f.ChildFactory(), f.AttorneyFactory()
    factories.commit()
    with factories.begin():
        stage_rows(factories, run.id, [_proposal(child.id, attorney.id)], [_unmatched(child.id)])
        stage_rows(factories, other_run.id, [], [_unmatched(child.id)])
    with factories.begin():
        discard_staged(factories, run.id)

    assert factories.scalar(select(func.count()).select_from(StagedProposal)) == 0
    assert factories.scalars(select(UnmatchedChild.run_id)).all() == [other_run.id]


def test_a_row_the_database_refuses_fails_the_staging_without_quoting_its_values(factories):
    """A COPY error on PostgreSQL quotes the refused line, and an INSERT error carries its
    parameters: neither may reach the run's error, a log or a page."""
    run = f.MatchRunFactory()
    factories.commit()
    missing_child = 987_654_321
    detail = "Detail quoting María Quispe, A-204-118-736"
    refused = Unmatched(missing_child, Tier.T2, UnmatchedReason.NO_LANGUAGE, detail, {}, ())

    with pytest.raises((BulkWriteError, IntegrityError)) as raised, factories.begin():
        stage_rows(factories, run.id, (), [refused])

    told = "".join(traceback.format_exception(raised.value))
    assert detail not in told
    assert str(missing_child) not in told
    if factories.get_bind().dialect.name == "postgresql":
        assert str(raised.value) == (
            "could not write unmatched_children: ForeignKeyViolation (SQLSTATE 23503)"
        )
    assert factories.scalar(select(func.count()).select_from(UnmatchedChild)) == 0


def test_a_decision_while_the_run_stages_goes_through_and_wins(db, factories):
    """A coordinator confirms a proposal while the run is staging a new proposal for the same
    child: on PostgreSQL during the open staging transaction, without waiting on it (a lock
    timeout of 2 s would fail the confirmation); on SQLite, which has one writer at a time,
    between two of the run's short staging transactions. Either way the replacement that
    follows drops the run's proposal for that child: the decision wins."""
    on_postgres = db.engine.dialect.name == "postgresql"
    user = f.UserFactory(role=Role.COORDINATOR)
    proposal = f.MatchFactory(status=MatchStatus.PROPOSED)
    run = f.MatchRunFactory()
    others = [f.ChildFactory() for _ in range(20)]
    factories.commit()
    result = dataclasses.replace(
        _result(_proposal(proposal.child_id, proposal.attorney_id)),
        unmatched=tuple(_unmatched(child.id) for child in others),
    )

    with db.session() as staging:
        staging.begin()
        stage_rows(staging, run.id, result.proposals, result.unmatched[:10])
        if not on_postgres:
            staging.commit()
            staging.begin()
        with db.session() as deciding, deciding.begin():
            if on_postgres:
                deciding.execute(text("SET LOCAL lock_timeout = '2s'"))
            confirmed = confirm(deciding, proposal.id, deciding.get_one(User, user.id))
            assert confirmed.status is MatchStatus.CONFIRMED
        stage_rows(staging, run.id, (), result.unmatched[10:])
        staging.commit()
    with factories.begin():
        saved = save_result(factories, factories.get_one(MatchRun, run.id), result)

    assert (saved.proposed, saved.dropped) == (0, 1)
    assert factories.scalars(select(Match.status).where(Match.run_id == run.id)).all() == []
    reasons = factories.scalars(
        select(UnmatchedChild.reason).where(UnmatchedChild.child_id == proposal.child_id)
    ).all()
    assert reasons == [CHANGED_WHILE_SOLVING]
