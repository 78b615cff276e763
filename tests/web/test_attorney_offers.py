"""The attorney's overview, offers and cases through the test client, CSRF on, both backends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from fixtures import factories as f
from jobs.clock import OFFER_CLOCK_JOB, Schedule, build_scheduler
from jobs.matching import run_match
from models import Match, MatchStatus, Role
from models.base import utcnow
from models.decisions import confirm
from tests.conftest import TODAY
from tests.web.conftest import flash_messages, post_from, shown_counts, status_of, text_of


def reason_of(session, match_id: int) -> str | None:
    session.expire_all()
    return session.get_one(Match, match_id).reason


HUGE_ID = "99999999999999999999"


@pytest.fixture
def attorney_signed_in(make_user, auth, factories):
    """An attorney profile, its account signed in; returns the attorney."""
    attorney = f.AttorneyFactory(capacity=2)
    factories.commit()
    user = make_user(Role.ATTORNEY, email="lawyer@example.org", attorney=attorney)
    assert auth.login(user.email).status_code == 302
    return attorney


def offered(attorney, **child) -> Match:
    return f.MatchFactory(
        child=f.ChildFactory(**child),
        attorney=attorney,
        status=MatchStatus.CONFIRMED,
        offered_at=utcnow(),
    )


def test_the_offer_page_shows_what_is_needed_and_nothing_that_identifies(
    client, factories, attorney_signed_in
):
    match = offered(attorney_signed_in, birth_date=date(2011, 3, 4), detained=True)
    child = match.child
    factories.commit()

    page = client.get(f"/attorney/offers/{match.id}")

    assert page.status_code == 200
    text = text_of(page)
    for shown in ("Guatemala", "Spanish", "Houston", "Asylum", "Detained", "T1", "boy"):
        assert shown.lower() in text.lower()
    for secret in (
        child.first_name,
        child.last_name,
        child.a_number,
        "2011-03-04",
        "03/04/2011",
        child.external_id,
    ):
        assert secret not in text


def test_the_offers_list_is_newest_first_with_an_empty_state(client, factories, attorney_signed_in):
    assert "No offer awaits your answer" in text_of(client.get("/attorney/offers"))
    older = offered(attorney_signed_in)
    factories.flush()
    newer = offered(attorney_signed_in)
    factories.commit()

    text = text_of(client.get("/attorney/offers"))

    assert text.index(f'data-offer="{newer.id}"') < text.index(f'data-offer="{older.id}"')
    assert older.child.first_name not in text


def test_run_confirm_accept_then_the_case_shows_the_full_record(
    db, client, factories, attorney_signed_in
):
    child = f.ChildFactory()
    coordinator = f.UserFactory(role=Role.COORDINATOR, email="coord@example.org")
    factories.commit()
    run = run_match(db, as_of=TODAY, trigger="command")
    [proposal] = factories.scalars(select(Match).where(Match.run_id == run.run_id)).all()
    factories.commit()
    with factories.begin():
        confirm(factories, proposal.id, coordinator)
    offer_page = f"/attorney/offers/{proposal.id}"

    refused = post_from(client, offer_page, f"{offer_page}/accept", {})
    assert refused.status_code == 400
    assert "Confirm that you have no conflict of interest" in text_of(refused)
    assert status_of(factories, proposal.id) == MatchStatus.CONFIRMED

    page = post_from(
        client, offer_page, f"{offer_page}/accept", {"no_conflict": "y"}, follow_redirects=True
    )

    assert page.request.path == f"/attorney/cases/{proposal.id}"
    assert "You accepted the case. The child's full record is below." in flash_messages(page)
    text = text_of(page)
    assert f"{child.first_name} {child.last_name}" in text and child.a_number in text
    assert child.birth_date.isoformat() in text
    assert status_of(factories, proposal.id) == MatchStatus.ACCEPTED
    overview = client.get("/attorney")
    assert shown_counts(overview)["active-cases"] == 1
    assert shown_counts(overview)["free-slots"] == 1
    again = run_match(db, as_of=TODAY, trigger="command")
    assert factories.scalars(select(Match).where(Match.run_id == again.run_id)).all() == []


def test_decline_needs_a_reason_and_then_frees_the_offer(client, factories, attorney_signed_in):
    match = offered(attorney_signed_in)
    factories.commit()
    page = f"/attorney/offers/{match.id}"

    for reason, error in (("  ", "Say why you decline the offer."), ("x" * 1001, "At most 1000")):
        refused = post_from(client, page, f"{page}/decline", {"reason": reason})
        assert refused.status_code == 400 and error in text_of(refused)
    assert status_of(factories, match.id) == MatchStatus.CONFIRMED

    done = post_from(
        client,
        page,
        f"{page}/decline",
        {"why": "no_capacity", "reason": "Trial next month"},
        follow_redirects=True,
    )

    assert done.request.path == "/attorney/offers"
    assert flash_messages(done) == ["You declined the offer; it will not be offered to you again."]
    assert status_of(factories, match.id) == MatchStatus.DECLINED
    assert "no longer waits" in text_of(client.get(page))
    assert reason_of(factories, match.id) == "No capacity right now: Trial next month"


def test_a_decline_reason_is_chosen_and_other_needs_words(client, factories, attorney_signed_in):
    match = offered(attorney_signed_in)
    factories.commit()
    page = f"/attorney/offers/{match.id}"

    unknown = post_from(client, page, f"{page}/decline", {"why": "bored"})
    other = post_from(client, page, f"{page}/decline", {"why": "other", "reason": " "})

    assert unknown.status_code == 400 and "Not a valid choice" in text_of(unknown)
    assert other.status_code == 400 and "'Other' needs them" in text_of(other)
    assert status_of(factories, match.id) == MatchStatus.CONFIRMED
    done = post_from(client, page, f"{page}/decline", {"why": "expertise"})
    assert done.status_code == 302
    assert reason_of(factories, match.id) == "Outside my expertise"


def test_siblings_are_accepted_together_from_one_page(client, factories, attorney_signed_in):
    group = f.SiblingGroupFactory()
    first = offered(attorney_signed_in, sibling_group=group, birth_date=date(2012, 1, 1))
    second = offered(attorney_signed_in, sibling_group=group, birth_date=date(2015, 1, 1))
    factories.commit()
    page = f"/attorney/offers/{first.id}"
    text = text_of(client.get(page))
    assert "2 siblings" in text and first.child.first_name not in text

    done = post_from(client, page, f"{page}/accept", {"no_conflict": "y"}, follow_redirects=True)

    assert "You accepted the case of 2 siblings." in flash_messages(done)[0]
    assert status_of(factories, second.id) == MatchStatus.ACCEPTED
    cases = text_of(client.get("/attorney/cases"))
    assert first.child.first_name in cases and second.child.first_name in cases


def test_closing_a_case_needs_an_outcome_and_frees_the_place(client, factories, attorney_signed_in):
    case = f.MatchFactory(attorney=attorney_signed_in, status=MatchStatus.ACCEPTED)
    factories.commit()
    page = f"/attorney/cases/{case.id}"
    assert shown_counts(client.get("/attorney"))["free-slots"] == 1

    for data, error in (
        ({"outcome": ""}, "Choose how the case ended."),
        ({"outcome": "won"}, "Not a valid choice"),
        ({"outcome": "withdrawn", "note": "x" * 2001}, "At most 2000 characters."),
    ):
        refused = post_from(client, page, f"{page}/close", data)
        assert refused.status_code == 400 and error in text_of(refused)
    assert status_of(factories, case.id) == MatchStatus.ACCEPTED

    done = post_from(
        client,
        page,
        f"{page}/close",
        {"outcome": "relief_granted", "note": "Asylum granted"},
        follow_redirects=True,
    )

    assert done.request.path == "/attorney/cases"
    assert flash_messages(done)[0].startswith("Case closed: Relief granted")
    assert status_of(factories, case.id) == MatchStatus.CLOSED
    assert shown_counts(client.get("/attorney"))["free-slots"] == 2


def test_another_attorneys_offers_and_cases_are_not_found(client, factories, attorney_signed_in):
    someone_else = f.AttorneyFactory()
    their_offer = offered(someone_else)
    their_case = f.MatchFactory(attorney=someone_else, status=MatchStatus.ACCEPTED)
    my_proposal = f.MatchFactory(attorney=attorney_signed_in)  # not offered yet
    factories.commit()

    for path in (
        f"/attorney/offers/{their_offer.id}",
        f"/attorney/cases/{their_case.id}",
        f"/attorney/offers/{my_proposal.id}",
        f"/attorney/offers/{their_case.id}",
        f"/attorney/offers/{HUGE_ID}",
        f"/attorney/cases/{HUGE_ID}",
    ):
        assert client.get(path).status_code == 404, path
    for path, data in (
        (f"/attorney/offers/{their_offer.id}/accept", {"no_conflict": "y"}),
        (f"/attorney/offers/{their_offer.id}/decline", {"why": "other", "reason": "no"}),
        (f"/attorney/cases/{their_case.id}/close", {"outcome": "withdrawn"}),
        (f"/attorney/offers/{HUGE_ID}/accept", {"no_conflict": "y"}),
        (f"/attorney/cases/{HUGE_ID}/close", {"outcome": "withdrawn"}),
    ):
        assert post_from(client, "/attorney/offers", path, data).status_code == 404, path
    assert status_of(factories, their_offer.id) == MatchStatus.CONFIRMED
    assert status_of(factories, their_case.id) == MatchStatus.ACCEPTED
    text = text_of(client.get("/attorney/cases"))
    assert their_case.child.first_name not in text


def test_posts_need_the_csrf_token(client, factories, attorney_signed_in):
    match = offered(attorney_signed_in)
    factories.commit()

    response = client.post(f"/attorney/offers/{match.id}/accept", data={"no_conflict": "y"})

    assert response.status_code == 400
    assert status_of(factories, match.id) == MatchStatus.CONFIRMED


def test_other_roles_may_not_see_the_attorney_pages(client, signed_in):
    signed_in(Role.COORDINATOR)
    assert client.get("/attorney/offers").status_code == 403


def test_the_clock_runs_the_offer_clock_hourly(db):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(OFFER_CLOCK_JOB)
        assert (job.coalesce, job.max_instances) == (True, 1)
        first = job.next_run_time
        second = job.trigger.get_next_fire_time(first, first)
        assert (second - first).total_seconds() == 3600
    finally:
        scheduler.shutdown(wait=False)


def test_a_nul_byte_in_a_reason_or_note_is_a_form_error_not_a_500(
    client, factories, attorney_signed_in
):
    offer = offered(attorney_signed_in)
    case = f.MatchFactory(attorney=attorney_signed_in, status=MatchStatus.ACCEPTED)
    factories.commit()
    offer_page, case_page = f"/attorney/offers/{offer.id}", f"/attorney/cases/{case.id}"

    declined = post_from(
        client, offer_page, f"{offer_page}/decline", {"why": "other", "reason": "busy\x00"}
    )
    closed = post_from(
        client, case_page, f"{case_page}/close", {"outcome": "withdrawn", "note": "a\x00b"}
    )

    assert declined.status_code == 400 and closed.status_code == 400
    assert status_of(factories, offer.id) == MatchStatus.CONFIRMED
    assert status_of(factories, case.id) == MatchStatus.ACCEPTED
