"""Offers end to end on both backends: the offer e-mail, accept, decline, the offer clock (a fixed
`now`, never a sleep), closing a case, expired pairs resting, siblings answered together; runs
through the real solver (`jobs.matching.run_match`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fixtures import factories as f
from jobs.matching import run_match
from jobs.offers import run_offer_clock
from models import AuditEvent, CaseStatus, Child, Match, MatchEvent, MatchStatus, Role
from models.base import utcnow
from models.capacity import attorney_load
from models.decisions import confirm, manual_match
from models.entities import Attorney, CaseOutcome, OutboxMessage
from models.offers import accept, close_case, decline, remind_and_expire
from models.pair_checks import DecisionRefused, Rule
from models.settings import PUBLIC_BASE_URL_KEY, OfferTiming, put_setting
from tests.conftest import TODAY

TIMING = OfferTiming(reminder_days=2, expiry_days=5, expired_pair_pause_days=30)


def decide(session: Session, decision, *args, **kwargs):
    if session.in_transaction():
        session.commit()
    with session.begin():
        return decision(session, *args, **kwargs)


def coordinator():
    return f.UserFactory(role=Role.COORDINATOR, email="coord@example.org")


def attorney_user(attorney: Attorney):
    return f.UserFactory(role=Role.ATTORNEY, attorney=attorney)


def proposals_of(session: Session, run_id: int | None) -> list[tuple[int, int]]:
    session.expire_all()
    return [
        (m.child_id, m.attorney_id)
        for m in session.scalars(select(Match).where(Match.run_id == run_id).order_by(Match.id))
    ]


def status(session: Session, match_id: int) -> MatchStatus:
    session.expire_all()
    return session.get_one(Match, match_id).status


def outbox(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def run_and_confirm(db, session: Session, user) -> Match:
    """One real run, and the confirmation of its one proposal."""
    outcome = run_match(db, as_of=TODAY, trigger="command")
    [proposal] = session.scalars(select(Match).where(Match.run_id == outcome.run_id)).all()
    return decide(session, confirm, proposal.id, user)


# --- the offer e-mail -----------------------------------------------------------------------


def test_confirming_sends_an_offer_email_with_a_link_and_no_child_data(db, factories):
    user = coordinator()
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    put_setting(factories, PUBLIC_BASE_URL_KEY, "https://cm.example.org/")
    factories.commit()

    offered = run_and_confirm(db, factories, user)

    assert offered.offered_at is not None and offered.answered_at is None
    [mail] = outbox(factories)
    assert (mail.kind, mail.to_address) == ("offer", attorney.email)
    assert f"https://cm.example.org/attorney/offers/{offered.id}" in mail.body
    assert "one child" in mail.body and "within 5 days" in mail.body
    for secret in (
        child.first_name,
        child.last_name,
        child.a_number,
        child.birth_date.isoformat(),
        child.birth_date.strftime("%m/%d/%Y"),
    ):
        assert secret not in mail.body and secret not in mail.subject


def test_a_manual_match_sends_one_offer_for_the_sibling_group(factories):
    user = coordinator()
    group = f.SiblingGroupFactory()
    first, second = (f.ChildFactory(sibling_group=group) for _ in range(2))
    attorney = f.AttorneyFactory(capacity=2)
    factories.commit()

    match = decide(factories, manual_match, first.id, attorney.id, user)

    [mail] = outbox(factories)
    assert f"/attorney/offers/{match.id}" in mail.body
    assert "a sibling group of 2 children" in mail.body
    for child in (first, second):
        assert child.first_name not in mail.body and child.a_number not in mail.body
    offered = factories.scalars(select(Match).where(Match.attorney_id == attorney.id)).all()
    assert all(m.offered_at is not None for m in offered)


# --- accept ---------------------------------------------------------------------------------


def test_accepting_represents_the_child_and_the_next_run_leaves_it_alone(db, factories):
    user = coordinator()
    child = f.ChildFactory()
    attorney = f.AttorneyFactory(capacity=2)
    account = attorney_user(attorney)
    factories.commit()
    offered = run_and_confirm(db, factories, user)

    decide(factories, accept, offered.id, attorney.id, True)

    factories.expire_all()
    accepted = factories.get_one(Match, offered.id)
    assert accepted.status == MatchStatus.ACCEPTED and accepted.answered_at is not None
    event = factories.scalars(
        select(MatchEvent).where(MatchEvent.match_id == offered.id).order_by(MatchEvent.id.desc())
    ).first()
    assert (event.from_status, event.to_status, event.user_id) == (
        MatchStatus.CONFIRMED,
        MatchStatus.ACCEPTED,
        account.id,
    )
    audited = factories.scalars(
        select(AuditEvent).where(AuditEvent.action == "offer_accepted")
    ).one()
    assert audited.user_id == account.id and audited.details["child_id"] == child.id
    assert child.first_name not in str(audited.details)
    load = attorney_load(factories, attorney.id, TODAY)
    assert (load.accepted_matches, load.pending_offers, load.free_slots) == (1, 0, 1)

    again = run_match(db, as_of=TODAY, trigger="command")
    assert proposals_of(factories, again.run_id) == []


def test_accept_needs_the_no_conflict_confirmation_and_an_open_offer(factories):
    offered = f.MatchFactory(status=MatchStatus.CONFIRMED, offered_at=utcnow())
    factories.commit()

    with pytest.raises(DecisionRefused) as refused:
        decide(factories, accept, offered.id, offered.attorney_id, False)
    assert [r.rule for r in refused.value.reasons] == [Rule.CONFLICT_NOT_CONFIRMED]
    assert status(factories, offered.id) == MatchStatus.CONFIRMED

    decide(factories, accept, offered.id, offered.attorney_id, True)
    with pytest.raises(DecisionRefused) as twice:
        decide(factories, accept, offered.id, offered.attorney_id, True)
    assert [r.rule for r in twice.value.reasons] == [Rule.OFFER_NOT_OPEN]
    assert "you accepted it already" in str(twice.value)


def test_another_attorneys_offer_is_not_found(factories):
    offered = f.MatchFactory(status=MatchStatus.CONFIRMED, offered_at=utcnow())
    other = f.AttorneyFactory()
    factories.commit()

    for decision, args in ((accept, (True,)), (decline, ("too busy",))):
        with pytest.raises(LookupError):
            decide(factories, decision, offered.id, other.id, *args)
    with pytest.raises(LookupError):
        decide(factories, accept, 2**31 - 7, offered.attorney_id, True)
    assert status(factories, offered.id) == MatchStatus.CONFIRMED


def test_a_proposal_not_yet_confirmed_cannot_be_accepted(factories):
    proposal = f.MatchFactory()
    factories.commit()
    with pytest.raises(DecisionRefused):
        decide(factories, accept, proposal.id, proposal.attorney_id, True)
    assert status(factories, proposal.id) == MatchStatus.PROPOSED


# --- decline --------------------------------------------------------------------------------


def test_a_declined_pair_is_never_proposed_again_and_the_place_is_free(db, factories):
    user = coordinator()
    child = f.ChildFactory()
    attorney = f.AttorneyFactory(capacity=1)
    factories.commit()
    offered = run_and_confirm(db, factories, user)
    assert attorney_load(factories, attorney.id, TODAY).free_slots == 0

    decide(factories, decline, offered.id, attorney.id, "  Firm conflict with the sponsor  ")

    factories.expire_all()
    declined = factories.get_one(Match, offered.id)
    assert declined.status == MatchStatus.DECLINED
    assert declined.reason == "Firm conflict with the sponsor" and declined.answered_at
    assert attorney_load(factories, attorney.id, TODAY).free_slots == 1
    audited = factories.scalars(
        select(AuditEvent).where(AuditEvent.action == "offer_declined")
    ).one()
    assert "Firm conflict" not in str(audited.details)
    again = run_match(db, as_of=TODAY, trigger="command")
    assert proposals_of(factories, again.run_id) == []
    # Another attorney gets the child in the run after.
    other = f.AttorneyFactory()
    factories.commit()
    third = run_match(db, as_of=TODAY, trigger="command")
    assert proposals_of(factories, third.run_id) == [(child.id, other.id)]


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "say why you decline the offer"), ("   ", "say why"), ("x" * 1001, "at most 1000")],
)
def test_decline_needs_a_reason_of_bounded_length(factories, reason, message):
    offered = f.MatchFactory(status=MatchStatus.CONFIRMED, offered_at=utcnow())
    factories.commit()
    with pytest.raises(ValueError, match=message):
        decide(factories, decline, offered.id, offered.attorney_id, reason)
    assert status(factories, offered.id) == MatchStatus.CONFIRMED


# --- siblings -------------------------------------------------------------------------------


def sibling_offer(attorney: Attorney, n: int = 2) -> list[Match]:
    group = f.SiblingGroupFactory()
    now = utcnow()
    return [
        f.MatchFactory(
            child=f.ChildFactory(sibling_group=group),
            attorney=attorney,
            status=MatchStatus.CONFIRMED,
            offered_at=now,
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_siblings_are_accepted_or_declined_together(factories, answer):
    attorney = f.AttorneyFactory(capacity=3)
    first, second = sibling_offer(attorney)
    elsewhere = f.MatchFactory(status=MatchStatus.CONFIRMED, offered_at=utcnow())
    factories.commit()

    if answer == "accept":
        decide(factories, accept, second.id, attorney.id, True)
        expected = MatchStatus.ACCEPTED
    else:
        decide(factories, decline, second.id, attorney.id, "No capacity for two")
        expected = MatchStatus.DECLINED

    assert status(factories, first.id) == status(factories, second.id) == expected
    assert status(factories, elsewhere.id) == MatchStatus.CONFIRMED
    audited = factories.scalars(select(AuditEvent)).one()
    assert audited.entity_id == str(second.id)
    assert audited.details["sibling_match_ids"] == [first.id]


# --- the offer clock ------------------------------------------------------------------------


def test_the_clock_reminds_once_then_expires_and_the_child_goes_elsewhere(db, factories):
    user = coordinator()
    child = f.ChildFactory()
    first_choice = f.AttorneyFactory(capacity=1)
    factories.commit()
    offered = run_and_confirm(db, factories, user)
    assert offered.attorney_id == first_choice.id
    offered_at = offered.offered_at
    [offer_mail] = outbox(factories)

    def tick(after: timedelta):
        return decide(factories, remind_and_expire, offered_at + after, TIMING)

    assert tick(timedelta(days=1, hours=23)).reminded == 0
    assert tick(timedelta(days=2, minutes=1)).reminded == 1
    assert tick(timedelta(days=3)).reminded == 0  # never twice
    mails = outbox(factories)
    assert [m.kind for m in mails] == ["offer", "offer_reminder"]
    reminder = mails[1]
    assert f"/attorney/offers/{offered.id}" in reminder.body
    assert child.first_name not in reminder.body and child.a_number not in reminder.body
    assert status(factories, offered.id) == MatchStatus.CONFIRMED

    expired = tick(timedelta(days=5, minutes=1))
    assert (expired.reminded, expired.expired) == (0, 1)
    factories.expire_all()
    lapsed = factories.get_one(Match, offered.id)
    assert lapsed.status == MatchStatus.EXPIRED
    assert lapsed.answered_at == offered_at + timedelta(days=5, minutes=1)
    assert attorney_load(factories, first_choice.id, TODAY).free_slots == 1
    actions = factories.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "match", AuditEvent.entity_id == str(offered.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["match_confirmed", "offer_reminded", "offer_expired"]
    assert offer_mail.id == mails[0].id

    # The next run matches the child again, but not to the same attorney within the pause.
    alone = run_match(db, as_of=TODAY, trigger="command")
    assert proposals_of(factories, alone.run_id) == []
    second_choice = f.AttorneyFactory()
    factories.commit()
    again = run_match(db, as_of=TODAY, trigger="command")
    assert proposals_of(factories, again.run_id) == [(child.id, second_choice.id)]


def test_an_expired_pair_returns_after_the_pause(db, factories):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    long_ago = utcnow() - timedelta(days=31)
    f.MatchFactory(child=child, attorney=attorney, status=MatchStatus.EXPIRED, answered_at=long_ago)
    recent_child = f.ChildFactory()
    f.MatchFactory(
        child=recent_child,
        attorney=attorney,
        status=MatchStatus.EXPIRED,
        answered_at=utcnow() - timedelta(days=29),
    )
    factories.commit()

    outcome = run_match(db, as_of=TODAY, trigger="command")

    assert proposals_of(factories, outcome.run_id) == [(child.id, attorney.id)]


def test_the_clock_job_expires_siblings_together_in_its_own_transaction(db, factories):
    attorney = f.AttorneyFactory(capacity=2)
    first, second = sibling_offer(attorney)
    factories.commit()

    summary = run_offer_clock(db, now=first.offered_at + timedelta(days=6))

    assert (summary.reminded, summary.expired) == (0, 2)
    assert status(factories, first.id) == status(factories, second.id) == MatchStatus.EXPIRED
    assert outbox(factories) == []  # too late to remind: expired straight away
    assert run_offer_clock(db, now=first.offered_at + timedelta(days=7)).expired == 0


def test_the_clock_reminds_siblings_with_one_email(factories):
    attorney = f.AttorneyFactory(capacity=2)
    first, second = sibling_offer(attorney)
    factories.commit()

    summary = decide(factories, remind_and_expire, first.offered_at + timedelta(days=3), TIMING)

    assert summary.reminded == 2
    [mail] = outbox(factories)
    assert "a sibling group of 2 children" in mail.body
    assert f"/attorney/offers/{first.id}" in mail.body


# --- closing --------------------------------------------------------------------------------


def test_closing_a_case_frees_the_place_and_closes_the_childs_case(db, factories):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory(capacity=1)
    account = attorney_user(attorney)
    case = f.MatchFactory(child=child, attorney=attorney, status=MatchStatus.ACCEPTED)
    newcomer = f.ChildFactory()
    factories.commit()
    assert attorney_load(factories, attorney.id, TODAY).free_slots == 0

    decide(factories, close_case, case.id, account, CaseOutcome.RELIEF_GRANTED, "SIJS granted")

    factories.expire_all()
    closed = factories.get_one(Match, case.id)
    assert (closed.status, closed.outcome) == (MatchStatus.CLOSED, CaseOutcome.RELIEF_GRANTED)
    assert closed.closed_at is not None
    assert factories.get_one(Child, child.id).case_status == CaseStatus.CLOSED
    assert attorney_load(factories, attorney.id, TODAY).free_slots == 1
    audited = factories.scalars(select(AuditEvent).where(AuditEvent.action == "case_closed")).one()
    assert audited.details["outcome"] == "relief_granted" and "SIJS" not in str(audited.details)
    outcome = run_match(db, as_of=TODAY, trigger="command")
    assert proposals_of(factories, outcome.run_id) == [(newcomer.id, attorney.id)]


def test_closing_is_for_the_cases_attorney_or_a_coordinator(factories):
    case = f.MatchFactory(status=MatchStatus.ACCEPTED)
    stranger = attorney_user(f.AttorneyFactory())
    lead = f.UserFactory(role=Role.PROGRAM_LEAD, email="lead@example.org")
    offer = f.MatchFactory(status=MatchStatus.CONFIRMED)
    staff = coordinator()
    factories.commit()

    with pytest.raises(LookupError):
        decide(factories, close_case, case.id, stranger, "withdrawn")
    with pytest.raises(PermissionError):
        decide(factories, close_case, case.id, lead, "withdrawn")
    with pytest.raises(ValueError, match="unknown outcome"):
        decide(factories, close_case, case.id, staff, "won")
    with pytest.raises(DecisionRefused) as not_accepted:
        decide(factories, close_case, offer.id, f.UserFactory(role=Role.ADMIN), "withdrawn")
    assert [r.rule for r in not_accepted.value.reasons] == [Rule.CASE_NOT_OPEN]
    assert status(factories, case.id) == MatchStatus.ACCEPTED

    decide(factories, close_case, case.id, staff, "transferred")
    assert status(factories, case.id) == MatchStatus.CLOSED
    events = factories.scalar(
        select(func.count()).select_from(MatchEvent).where(MatchEvent.match_id == case.id)
    )
    assert events == 1


# --- capacity -------------------------------------------------------------------------------


def test_capacity_lowered_to_zero_means_no_proposal(db, factories):
    f.ChildFactory()
    attorney = f.AttorneyFactory(capacity=2)
    factories.commit()
    attorney.capacity = 0
    factories.commit()

    outcome = run_match(db, as_of=TODAY, trigger="command")

    assert proposals_of(factories, outcome.run_id) == []
