"""Coordinators' decisions: confirm, reject, manual match and language correction, on both backends.

Each refusal names exactly why and leaves the database as it was; each decision lands in the
match's history and the audit trail. The last-slot race runs two real sessions in real threads.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fixtures import factories as f
from jobs.matching import run_match
from models import (
    AuditEvent,
    CaseStatus,
    Child,
    Match,
    MatchEvent,
    MatchStatus,
    Role,
    UnmatchedChild,
    User,
)
from models.decisions import confirm, correct_languages, manual_match, reject
from models.pair_checks import DecisionRefused, Rule, check_pair
from tests.conftest import TODAY, days
from tests.models.races import HANG_GUARD_S, race

# A generous guard so that a broken lock fails the test instead of hanging it; never a timing.


def coordinator() -> object:
    return f.UserFactory(role=Role.COORDINATOR, email="coord@example.org")


def counts(session: Session) -> tuple[int, int, list[tuple[int, str]]]:
    """(match events, audit events, (match id, status) of every match): the state to compare."""
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(MatchEvent)) or 0,
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        [(m.id, m.status.value) for m in session.scalars(select(Match).order_by(Match.id))],
    )


def decide(session: Session, decision, *args, **kwargs):
    """One decision in its own transaction, as a view makes it (reads before it end first)."""
    if session.in_transaction():
        session.commit()
    with session.begin():
        return decision(session, *args, **kwargs)


def refusal(error: pytest.ExceptionInfo[DecisionRefused]) -> list[tuple[Rule, str]]:
    return [(reason.rule, reason.message) for reason in error.value.reasons]


# --- confirm --------------------------------------------------------------------------------


def test_confirm_offers_the_case_and_records_who_when_and_why(factories):
    user = coordinator()
    proposal = f.MatchFactory()
    factories.commit()

    confirmed = decide(factories, confirm, proposal.id, user)

    assert confirmed.status == MatchStatus.CONFIRMED
    [confirmation] = factories.scalars(
        select(MatchEvent).where(MatchEvent.match_id == proposal.id)
    ).all()
    assert confirmation.from_status == MatchStatus.PROPOSED
    assert confirmation.to_status == MatchStatus.CONFIRMED
    assert confirmation.user_id == user.id and confirmation.reason == "confirmed; offer sent"
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert (audited.action, audited.entity_type, audited.entity_id) == (
        "match_confirmed",
        "match",
        str(proposal.id),
    )
    assert audited.user_id == user.id and audited.actor == "coord@example.org"
    assert audited.details["child_id"] == proposal.child_id
    assert audited.details["attorney_id"] == proposal.attorney_id
    assert audited.details["match_event_id"] == confirmation.id
    child = factories.get_one(Child, proposal.child_id)
    assert child.first_name not in str(audited.details) and child.a_number not in str(
        audited.details
    )


def test_confirm_refuses_when_the_attorney_has_no_free_slot_left(factories):
    user = coordinator()
    attorney = f.AttorneyFactory(capacity=2)
    f.MatchFactory(attorney=attorney, status=MatchStatus.ACCEPTED)
    f.MatchFactory(attorney=attorney, status=MatchStatus.CONFIRMED)
    proposal = f.MatchFactory(attorney=attorney)
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, user)

    assert refusal(refused) == [
        (
            Rule.NO_FREE_SLOT,
            f"attorney {attorney.name} now has no free slot (capacity 2: 1 accepted, 1 confirmed)",
        )
    ]
    assert counts(factories) == before


def test_the_free_slot_counts_cases_carried_outside_the_system(factories):
    attorney = f.AttorneyFactory(capacity=2, imported_active_cases=1)
    f.MatchFactory(attorney=attorney, status=MatchStatus.CONFIRMED)
    proposal = f.MatchFactory(attorney=attorney)
    factories.commit()

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, coordinator())

    assert str(refused.value) == (
        f"attorney {attorney.name} now has no free slot (capacity 2: 1 active cases from the "
        "spreadsheet, 0 accepted, 1 confirmed)"
    )


def test_confirm_refuses_when_the_child_already_has_a_confirmed_offer(factories):
    child = f.ChildFactory()
    other = f.AttorneyFactory()
    f.MatchFactory(child=child, attorney=other, status=MatchStatus.CONFIRMED)
    proposal = f.MatchFactory(child=child)
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, coordinator())

    assert refusal(refused) == [
        (
            Rule.CHILD_SPOKEN_FOR,
            f"the child already has a confirmed offer (to {other.name}, awaiting an answer)",
        )
    ]
    assert counts(factories) == before


def test_confirm_refuses_an_attorney_on_leave_today(factories):
    attorney = f.AttorneyFactory(leave=[(days(-3), days(10))])
    proposal = f.MatchFactory(attorney=attorney)
    factories.commit()

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, coordinator())

    assert refusal(refused) == [
        (
            Rule.ON_LEAVE,
            f"attorney {attorney.name} is on leave on {TODAY.isoformat()} "
            f"({days(-3).isoformat()} to {days(10).isoformat()})",
        )
    ]


def test_confirm_refuses_a_pair_the_rules_no_longer_allow(factories):
    """Every rule the engine applies, changed after the run proposed the pair."""
    user = coordinator()
    detained_child = f.ChildFactory(detained=True)
    cases = {
        Rule.COURT: f.MatchFactory(attorney=f.AttorneyFactory(court_codes=["NYC"])),
        Rule.LANGUAGE: f.MatchFactory(child=f.ChildFactory(language_code="mam")),
        Rule.EXPERTISE: f.MatchFactory(
            attorney=f.AttorneyFactory(expertise_levels={"sijs": "expert"})
        ),
        Rule.DETAINED: f.MatchFactory(
            child=detained_child,
            attorney=f.AttorneyFactory(expertise_levels={"asylum": "expert"}),
        ),
        Rule.CONFLICT: f.MatchFactory(),
    }
    conflicted = cases[Rule.CONFLICT]
    f.ConflictFactory(child=conflicted.child, attorney=conflicted.attorney)
    rejected = f.MatchFactory(status=MatchStatus.REJECTED, reason="Conflict of interest found")
    cases[Rule.REFUSED_BEFORE] = f.MatchFactory(child=rejected.child, attorney=rejected.attorney)
    inactive = f.MatchFactory(attorney=f.AttorneyFactory(active=False))
    closed = f.MatchFactory(child=f.ChildFactory(case_status=CaseStatus.CLOSED))
    factories.commit()

    found = {}
    for rule, proposal in cases.items():
        with pytest.raises(DecisionRefused) as refused:
            decide(factories, confirm, proposal.id, user)
        found[rule] = refusal(refused)
    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, inactive.id, user)
    assert refusal(refused) == [
        (Rule.ATTORNEY_INACTIVE, f"attorney {inactive.attorney.name} is no longer active")
    ]
    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, closed.id, user)
    assert refusal(refused) == [(Rule.CHILD_CLOSED, "the child's case is closed")]

    assert [rule for rule, _ in found[Rule.COURT]] == [Rule.COURT]
    assert found[Rule.COURT][0][1].startswith(
        f"attorney {cases[Rule.COURT].attorney.name} does not serve court HOU (not listed, "
        "not within the 50 km travel radius:"
    )
    assert found[Rule.LANGUAGE] == [
        (
            Rule.LANGUAGE,
            f"attorney {cases[Rule.LANGUAGE].attorney.name} speaks no Mam and no interpreter is "
            "available for Mam",
        )
    ]
    assert found[Rule.EXPERTISE] == [
        (Rule.EXPERTISE, f"attorney {cases[Rule.EXPERTISE].attorney.name} does not cover asylum")
    ]
    assert found[Rule.DETAINED] == [
        (
            Rule.DETAINED,
            f"the child is detained and {cases[Rule.DETAINED].attorney.name} does not take "
            "detained cases",
        )
    ]
    assert found[Rule.CONFLICT] == [
        (
            Rule.CONFLICT,
            f"a conflict of interest is recorded between {conflicted.attorney.name} and the child",
        )
    ]
    assert found[Rule.REFUSED_BEFORE] == [
        (
            Rule.REFUSED_BEFORE,
            f"this pair was rejected earlier by a coordinator on {TODAY.isoformat()} "
            "(Conflict of interest found)",
        )
    ]
    assert factories.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_mentored_volunteer_is_refused_for_a_detained_child(factories):
    attorney = f.AttorneyFactory(takes_detained=True, expertise_levels={"asylum": "mentored"})
    proposal = f.MatchFactory(child=f.ChildFactory(detained=True), attorney=attorney)
    factories.commit()

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, coordinator())

    assert refusal(refused) == [
        (
            Rule.EXPERTISE,
            f"attorney {attorney.name} is a mentored volunteer in asylum, not for detained "
            "children",
        )
    ]


def test_a_proposal_decided_or_replaced_already_is_not_confirmed_again(factories):
    user = coordinator()
    proposal = f.MatchFactory()
    replaced = f.MatchFactory(status=MatchStatus.SUPERSEDED)
    f.MatchEventFactory(
        match=replaced,
        from_status=MatchStatus.PROPOSED,
        to_status=MatchStatus.SUPERSEDED,
        reason="replaced by run 7",
    )
    factories.commit()
    decide(factories, confirm, proposal.id, user)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, user)
    [(rule, message)] = refusal(refused)
    assert rule is Rule.NOT_AWAITING_REVIEW
    assert message.startswith(
        "this proposal is no longer awaiting review: it was confirmed by coord@example.org on "
    )
    with pytest.raises(DecisionRefused) as refused:
        decide(factories, reject, replaced.id, user, "other", "not needed")
    [(rule, message)] = refusal(refused)
    assert message.startswith("this proposal is no longer awaiting review: it was replaced on ")
    assert message.endswith("(replaced by run 7)")


def test_a_corrected_language_makes_last_nights_proposal_stale(factories):
    user = coordinator()
    proposal = f.MatchFactory()  # Spanish-speaking child, Spanish-speaking attorney
    factories.commit()

    change = decide(factories, correct_languages, proposal.child_id, "mam", ["spa"], user)
    assert change.changed

    # Spanish is still spoken, so the pair holds; Mam alone does not.
    assert check_pair(factories, proposal.child_id, proposal.attorney_id).eligible
    decide(factories, correct_languages, proposal.child_id, "mam", [], user)
    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, proposal.id, user)
    assert [rule for rule, _ in refusal(refused)] == [Rule.LANGUAGE]


# --- reject ---------------------------------------------------------------------------------


def test_reject_records_the_reason_and_audits_only_its_code(factories):
    user = coordinator()
    proposal = f.MatchFactory()
    factories.commit()

    decide(factories, reject, proposal.id, user, "language", "  Speaks Mam, not Spanish  ")

    factories.expire_all()
    match = factories.get_one(Match, proposal.id)
    assert match.status == MatchStatus.REJECTED
    assert match.reason == "Language not a real match: Speaks Mam, not Spanish"
    last = match.events[-1]
    assert (last.from_status, last.to_status, last.user_id) == (
        MatchStatus.PROPOSED,
        MatchStatus.REJECTED,
        user.id,
    )
    assert last.reason == match.reason
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert audited.action == "match_rejected"
    assert audited.details["reason_code"] == "language"
    assert "Mam" not in str(audited.details)  # free text stays out of the audit trail


@pytest.mark.parametrize(
    ("code", "note", "message"),
    [
        ("", "", "unknown rejection reason ''"),
        ("bored", "x", "unknown rejection reason 'bored'"),
        ("other", "   ", "a rejection for 'Other' needs a note"),
        ("conflict", "x" * 2001, "the note has 2001 characters; at most 2000"),
    ],
)
def test_reject_needs_a_known_reason_and_a_note_for_other(factories, code, note, message):
    proposal = f.MatchFactory()
    factories.commit()
    before = counts(factories)

    with pytest.raises(ValueError, match=message):
        decide(factories, reject, proposal.id, coordinator(), code, note)

    assert counts(factories) == before


def test_a_rejected_pair_is_never_proposed_again(db, factories):
    user = coordinator()
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    factories.commit()
    first = run_match(db, as_of=TODAY, trigger="command")
    [proposal] = factories.scalars(select(Match).where(Match.run_id == first.run_id)).all()
    assert (proposal.child_id, proposal.attorney_id) == (child.id, attorney.id)

    decide(factories, reject, proposal.id, user, "attorney_unsuitable", "")
    second = run_match(db, as_of=TODAY, trigger="command")

    assert factories.scalars(select(Match).where(Match.run_id == second.run_id)).all() == []
    [why] = factories.scalars(
        select(UnmatchedChild).where(UnmatchedChild.run_id == second.run_id)
    ).all()
    assert (why.child_id, why.reason) == (child.id, "conflicts_or_refused")


# --- manual match ---------------------------------------------------------------------------


def test_manual_match_of_an_eligible_pair_is_scored_by_the_engine(factories):
    user = coordinator()
    child = f.ChildFactory()
    proposed_to = f.AttorneyFactory()
    proposal = f.MatchFactory(child=child, attorney=proposed_to)
    chosen = f.AttorneyFactory(language_levels={"spa": "native"})
    factories.commit()

    match = decide(factories, manual_match, child.id, chosen.id, user)

    assert (match.status, match.manual, match.run_id) == (MatchStatus.CONFIRMED, True, None)
    assert match.score_parts["language"] == 30.0  # native Spanish, as the engine weighs it
    assert "speaks Spanish (native)" in match.explanation
    assert match.tier == 3
    factories.expire_all()
    assert factories.get_one(Match, proposal.id).status == MatchStatus.SUPERSEDED
    [event] = factories.scalars(select(MatchEvent).where(MatchEvent.match_id == match.id)).all()
    assert (event.from_status, event.to_status, event.user_id, event.reason) == (
        None,
        MatchStatus.CONFIRMED,
        user.id,
        "manual match",
    )
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert audited.action == "match_manual"
    assert audited.details["overridden_rules"] == []
    assert audited.details["superseded_match_ids"] == [proposal.id]


def test_manual_match_breaking_a_rule_is_refused_without_an_override_reason(factories):
    child = f.ChildFactory(language_code="mam")
    attorney = f.AttorneyFactory(capacity=1, imported_active_cases=1)
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, manual_match, child.id, attorney.id, coordinator(), override_reason="  ")

    assert [rule for rule, _ in refusal(refused)] == [Rule.LANGUAGE, Rule.NO_FREE_SLOT]
    assert refused.value.overridable
    assert counts(factories) == before


def test_manual_match_with_an_override_reason_records_the_rules_it_overrides(factories):
    user = coordinator()
    child = f.ChildFactory(language_code="mam")
    attorney = f.AttorneyFactory()
    factories.commit()

    match = decide(
        factories,
        manual_match,
        child.id,
        attorney.id,
        user,
        override_reason="Works with a Mam interpreter",
    )

    assert match.status == MatchStatus.CONFIRMED and match.manual
    assert match.reason == "Works with a Mam interpreter"
    assert match.score is None and match.explanation.startswith("manual match overriding: ")
    [event] = match.events
    assert event.reason == (
        "manual match overriding language (rule 2): Works with a Mam interpreter"
    )
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert audited.details["overridden_rules"] == ["language"]
    assert "interpreter" not in str(audited.details)


def test_manual_match_never_overrides_an_offer_the_child_already_holds(factories):
    child = f.ChildFactory()
    f.MatchFactory(child=child, status=MatchStatus.ACCEPTED)
    attorney = f.AttorneyFactory()
    factories.commit()

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, manual_match, child.id, attorney.id, coordinator(), "urgent")

    assert [rule for rule, _ in refusal(refused)] == [Rule.CHILD_SPOKEN_FOR]
    assert not refused.value.overridable


# --- languages ------------------------------------------------------------------------------


def test_language_correction_is_audited_with_codes_only(factories):
    user = coordinator()
    child = f.ChildFactory(language_code="spa", other_language_codes=["eng"])
    factories.commit()

    change = decide(factories, correct_languages, child.id, "quc", ["spa", "quc", "eng"], user)

    assert (change.old_primary, change.old_others) == ("spa", ("eng",))
    assert (change.new_primary, change.new_others) == ("quc", ("eng", "spa"))
    factories.expire_all()
    stored = factories.get_one(Child, child.id)
    assert stored.primary_language.code == "quc"
    assert sorted(row.language.code for row in stored.other_languages) == ["eng", "spa"]
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert (audited.action, audited.entity_type, audited.entity_id) == (
        "child_languages_corrected",
        "child",
        str(child.id),
    )
    assert audited.details == {
        "old_primary": "spa",
        "old_others": ["eng"],
        "new_primary": "quc",
        "new_others": ["eng", "spa"],
    }

    again = decide(factories, correct_languages, child.id, "quc", ["spa", "eng"], user)
    assert not again.changed
    assert factories.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_language_correction_refuses_an_unknown_code(factories):
    child = f.ChildFactory()
    factories.commit()

    with pytest.raises(ValueError, match="unknown language code"):
        decide(factories, correct_languages, child.id, "xxq", [], coordinator())


# --- two coordinators at once ---------------------------------------------------------------


def _lock_statement(statement: str) -> bool:
    """The first statement of a decision: the lock on the attorney (see decisions._lock)."""
    return statement.startswith("UPDATE attorneys") or (
        statement.startswith("SELECT attorneys.id") and "FOR UPDATE" in statement
    )


def _child_lock_statement(statement: str) -> bool:
    """Where two decisions on one child with different attorneys meet: SQLite's database lock
    (the attorney update), PostgreSQL's lock on the child's rows (see decisions._lock)."""
    return statement.startswith("UPDATE attorneys") or (
        statement.startswith("SELECT children.id") and "FOR UPDATE" in statement
    )


def test_two_coordinators_confirming_the_last_slot_at_once_one_wins(db, factories):
    alice = f.UserFactory(email="alice@example.org")
    bob = f.UserFactory(email="bob@example.org")
    attorney = f.AttorneyFactory(capacity=2)
    f.MatchFactory(attorney=attorney, status=MatchStatus.ACCEPTED)
    first = f.MatchFactory(attorney=attorney)
    second = f.MatchFactory(attorney=attorney)
    factories.commit()
    alice_id, bob_id, first_id, second_id = alice.id, bob.id, first.id, second.id

    def by(user_id: int, match_id: int):
        return lambda session: confirm(session, match_id, session.get_one(User, user_id))

    result, waited = race(db, by(alice_id, first_id), by(bob_id, second_id), _lock_statement)

    assert waited == [True]  # Bob's confirmation waited at the lock for Alice's to commit
    assert isinstance(result, DecisionRefused)
    assert str(result) == (
        f"attorney {attorney.name} now has no free slot (capacity 2: 1 accepted, 1 confirmed)"
    )
    factories.expire_all()
    assert factories.get_one(Match, first_id).status == MatchStatus.CONFIRMED
    assert factories.get_one(Match, second_id).status == MatchStatus.PROPOSED


def test_a_manual_match_racing_a_confirmation_for_the_same_child_waits_and_is_refused(
    db, factories
):
    child = f.ChildFactory()
    proposal = f.MatchFactory(child=child)
    other = f.AttorneyFactory()
    user = coordinator()
    factories.commit()
    ids = (user.id, proposal.id, child.id, other.id)

    def confirm_it(session):
        return confirm(session, ids[1], session.get_one(User, ids[0]))

    def match_by_hand(session):
        return manual_match(session, ids[2], ids[3], session.get_one(User, ids[0]), "urgent")

    # The two decisions name different attorneys: on PostgreSQL they meet at the child's lock.
    result, waited = race(db, confirm_it, match_by_hand, _child_lock_statement)

    assert waited == [True]
    assert isinstance(result, DecisionRefused)
    assert [b.rule for b in result.reasons] == [Rule.CHILD_SPOKEN_FOR]


def test_many_coordinators_at_once_never_overfill_an_attorney(db, factories):
    """Four threads start together on the attorney's two free slots: exactly two confirm."""
    attorney = f.AttorneyFactory(capacity=3, imported_active_cases=1)
    proposals = [f.MatchFactory(attorney=attorney) for _ in range(4)]
    users = [f.UserFactory() for _ in range(4)]
    factories.commit()
    pairs = [(u.id, p.id) for u, p in zip(users, proposals, strict=True)]
    start = threading.Barrier(len(pairs))
    outcomes: dict[int, object] = {}

    def decide(user_id: int, match_id: int) -> None:
        with db.session() as session:
            start.wait(HANG_GUARD_S)
            try:
                with session.begin():
                    confirm(session, match_id, session.get_one(User, user_id))
                outcomes[match_id] = "confirmed"
            except DecisionRefused as error:
                outcomes[match_id] = [b.rule for b in error.reasons]

    threads = [threading.Thread(target=decide, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_S)

    assert sorted(map(str, outcomes.values())) == sorted(
        ["confirmed", "confirmed", str([Rule.NO_FREE_SLOT]), str([Rule.NO_FREE_SLOT])]
    )
    held = factories.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.attorney_id == attorney.id, Match.status == MatchStatus.CONFIRMED)
    )
    assert held == 2


# --- sibling groups -------------------------------------------------------------------------


def siblings(n: int = 2, **child) -> list[Child]:
    group = f.SiblingGroupFactory()
    return [f.ChildFactory(sibling_group=group, **child) for _ in range(n)]


def test_confirming_one_sibling_confirms_the_group_in_one_decision(factories):
    user = coordinator()
    attorney = f.AttorneyFactory(capacity=2)
    first, second = siblings()
    mine = f.MatchFactory(child=first, attorney=attorney)
    theirs = f.MatchFactory(child=second, attorney=attorney)
    factories.commit()

    decide(factories, confirm, mine.id, user)

    factories.expire_all()
    assert factories.get_one(Match, mine.id).status == MatchStatus.CONFIRMED
    assert factories.get_one(Match, theirs.id).status == MatchStatus.CONFIRMED
    [event] = factories.scalars(select(MatchEvent).where(MatchEvent.match_id == theirs.id)).all()
    assert (event.from_status, event.to_status, event.user_id) == (
        MatchStatus.PROPOSED,
        MatchStatus.CONFIRMED,
        user.id,
    )
    assert event.reason == f"confirmed with sibling match {mine.id}; offer sent"
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert (audited.action, audited.entity_id) == ("match_confirmed", str(mine.id))
    assert audited.details["sibling_match_ids"] == [theirs.id]


def test_siblings_are_refused_together_when_the_attorney_has_room_for_one(factories):
    attorney = f.AttorneyFactory(capacity=1)
    first, second = siblings()
    mine = f.MatchFactory(child=first, attorney=attorney)
    f.MatchFactory(child=second, attorney=attorney)
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, mine.id, coordinator())

    assert refusal(refused) == [
        (
            Rule.NO_FREE_SLOT,
            f"attorney {attorney.name} has 1 free slot but the sibling group needs 2 "
            "(siblings go to one attorney together)",
        )
    ]
    assert counts(factories) == before


def test_a_sibling_failing_a_rule_refuses_the_group_naming_the_sibling(factories):
    attorney = f.AttorneyFactory()
    first = siblings(1)[0]
    second = f.ChildFactory(sibling_group=first.sibling_group, language_code="mam")
    mine = f.MatchFactory(child=first, attorney=attorney)
    f.MatchFactory(child=second, attorney=attorney)
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, mine.id, coordinator())

    [(rule, message)] = refusal(refused)
    assert rule == Rule.LANGUAGE
    assert message.startswith(f"for sibling {second.external_id}: attorney {attorney.name} ")
    assert counts(factories) == before


def test_a_sibling_proposed_to_no_one_refuses_the_confirmation(factories):
    attorney = f.AttorneyFactory()
    first, second, third = siblings(3)
    mine = f.MatchFactory(child=first, attorney=attorney)
    f.MatchFactory(child=second, attorney=attorney)
    f.MatchFactory(child=third)  # another attorney
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, confirm, mine.id, coordinator())

    assert refusal(refused) == [
        (
            Rule.SIBLING_GROUP,
            f"siblings go to one attorney together, and {third.external_id} of this sibling "
            f"group has no proposal to attorney {attorney.name}: match the group by hand from "
            "the child's page",
        )
    ]
    assert not refused.value.overridable
    assert counts(factories) == before


def test_a_sibling_already_offered_is_not_taken_along(factories):
    attorney = f.AttorneyFactory(capacity=3)
    first, second, third = siblings(3)
    f.MatchFactory(child=third, attorney=attorney, status=MatchStatus.CONFIRMED)
    mine = f.MatchFactory(child=first, attorney=attorney)
    theirs = f.MatchFactory(child=second, attorney=attorney)
    factories.commit()

    decide(factories, confirm, mine.id, coordinator())

    factories.expire_all()
    assert factories.get_one(Match, theirs.id).status == MatchStatus.CONFIRMED


def test_rejecting_one_sibling_rejects_the_groups_proposals_to_that_attorney(factories):
    user = coordinator()
    attorney = f.AttorneyFactory()
    first, second = siblings()
    mine = f.MatchFactory(child=first, attorney=attorney)
    theirs = f.MatchFactory(child=second, attorney=attorney)
    elsewhere = f.MatchFactory(child=f.ChildFactory(), attorney=attorney)
    factories.commit()

    decide(factories, reject, mine.id, user, "language", "speaks K'iche' at home")

    factories.expire_all()
    for match_id in (mine.id, theirs.id):
        match = factories.get_one(Match, match_id)
        assert match.status == MatchStatus.REJECTED
        assert match.reason == "Language not a real match: speaks K'iche' at home"
        [event] = match.events
        assert (event.to_status, event.user_id) == (MatchStatus.REJECTED, user.id)
        assert event.reason == match.reason
    assert factories.get_one(Match, elsewhere.id).status == MatchStatus.PROPOSED
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert (audited.action, audited.entity_id) == ("match_rejected", str(mine.id))
    assert audited.details["sibling_match_ids"] == [theirs.id]


def test_manual_match_of_a_sibling_offers_the_whole_group(factories):
    user = coordinator()
    first, second = siblings()
    closed = f.ChildFactory(sibling_group=first.sibling_group, case_status=CaseStatus.CLOSED)
    old = f.MatchFactory(child=second)
    chosen = f.AttorneyFactory(capacity=2)
    factories.commit()

    match = decide(factories, manual_match, first.id, chosen.id, user)

    factories.expire_all()
    made = factories.scalars(
        select(Match).where(Match.manual.is_(True)).order_by(Match.child_id)
    ).all()
    assert [(m.child_id, m.attorney_id, m.status) for m in made] == [
        (first.id, chosen.id, MatchStatus.CONFIRMED),
        (second.id, chosen.id, MatchStatus.CONFIRMED),
    ]
    assert closed.id not in {m.child_id for m in made}
    assert made[0].id == match.id and made[1].score is not None
    assert factories.get_one(Match, old.id).status == MatchStatus.SUPERSEDED
    assert factories.get_one(Match, old.id).reason == f"replaced by manual match {made[1].id}"
    [audited] = factories.scalars(select(AuditEvent)).all()
    assert audited.details["sibling_match_ids"] == [made[1].id]
    assert audited.details["superseded_match_ids"] == [old.id]


def test_manual_match_of_a_group_needs_room_for_all_unless_overridden(factories):
    user = coordinator()
    first, _second = siblings()
    attorney = f.AttorneyFactory(capacity=1)
    factories.commit()
    before = counts(factories)

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, manual_match, first.id, attorney.id, user)

    assert [rule for rule, _ in refusal(refused)] == [Rule.NO_FREE_SLOT]
    assert refused.value.overridable
    assert counts(factories) == before

    decide(factories, manual_match, first.id, attorney.id, user, "the family asked for her")

    events = factories.scalars(
        select(MatchEvent).where(MatchEvent.from_status.is_(None)).order_by(MatchEvent.id)
    ).all()
    assert len(events) == 2
    assert events[0].reason == (
        "manual match overriding free capacity (rule 4): the family asked for her"
    )
