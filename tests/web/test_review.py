"""GET /review and the decisions taken on it: the test client with CSRF on, both backends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from fixtures import factories as f
from models import AuditEvent, ChildLanguage, Match, MatchEvent, MatchStatus, Role
from tests.conftest import days

from .conftest import csrf_token, flashes, plain, post_from, status_of, text_of


def rows_in(page) -> list[str]:
    """The child external ids of the queue's rows, in order."""
    return re.findall(r'<tr data-match="\d+" data-child="([^"]+)"', page.get_data(as_text=True))


@pytest.fixture
def coordinator(signed_in):
    return signed_in(Role.COORDINATOR)


@pytest.fixture
def run(factories):
    return f.MatchRunFactory()


def propose(run, **child_fields):
    """A proposal of `run` for a new child (fields of ChildFactory) to a new default attorney,
    unless `attorney=` is given."""
    attorney = child_fields.pop("attorney", None) or f.AttorneyFactory()
    return f.MatchFactory(run=run, child=f.ChildFactory(**child_fields), attorney=attorney)


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_shows_each_proposal_most_urgent_first(client, coordinator, factories, run):
    attorney = f.AttorneyFactory(
        name="Dana Whitfield",
        firm="Hale & Ortiz LLP",
        capacity=3,
        imported_active_cases=1,
        language_levels={"spa": "native", "eng": "fluent"},
        expertise_levels={"asylum": "expert"},
    )
    f.MatchFactory(attorney=attorney, status=MatchStatus.CONFIRMED)
    group = f.SiblingGroupFactory()
    later = propose(run, external_id="C-T3", next_hearing_date=days(60), attorney=attorney)
    propose(run, external_id="C-T4", next_hearing_date=None)
    propose(run, external_id="C-T1-DETAINED", next_hearing_date=days(200), detained=True)
    propose(run, external_id="C-T1", next_hearing_date=days(3), sibling_group=group)
    sibling = f.ChildFactory(first_name="Lucia", last_name="Tzoc", sibling_group=group)
    propose(run, external_id="C-T2", next_hearing_date=days(20))
    f.MatchFactory(status=MatchStatus.REJECTED)  # decided: not in the queue
    later.child.first_name, later.child.last_name = "Ana", "Xol"
    later.child.other_languages = [ChildLanguage(language=f.reference_language("mam"))]
    later.score, later.score_parts = (
        41.5,
        {
            "language": 30.0,
            "expertise": 30.0,
            "distance": -0.5,
            "tender_age": 0.0,
            "load": -18.0,
        },
    )
    later.explanation = "speaks Spanish (native); expert in asylum; serves HOU; 6 km from court"
    factories.commit()

    page = client.get("/review")

    assert page.status_code == 200
    assert rows_in(page) == ["C-T1", "C-T1-DETAINED", "C-T2", "C-T3", "C-T4"]
    text = text_of(page)
    row = text[text.index('data-child="C-T3"') :]
    row = plain(row[: row.index("</tr>")])
    for shown in (
        "Ana Xol",
        "C-T3, age 16",
        "T3",
        f"hearing {days(60).isoformat()}",
        "Spanish, Mam",
        "Houston (HOU), asylum",
        "Dana Whitfield",
        "Hale & Ortiz LLP",
        "Spanish (native), English (fluent)",
        "Expert in asylum",
        "Slots taken: 2 of 3",  # 1 imported active case + 1 confirmed offer
        "41.5",
        "language +30.0",
        "load -18.0",
        "speaks Spanish (native); expert in asylum; serves HOU; 6 km from court",
    ):
        assert shown in row, shown
    first = text[text.index('data-child="C-T1"') :]
    assert f'href="/children/{sibling.id}">Lucia Tzoc</a>' in first[: first.index("</tr>")]
    assert f"run {run.id}" in text
    assert '<th scope="col">Child</th>' in text and "<caption>" in text


def test_a_kept_proposal_shows_its_bonus_and_the_run_it_was_kept_from(
    client, coordinator, factories, run
):
    kept = propose(run, external_id="C-KEPT")
    kept.score, kept.score_parts = (
        65.0,
        {"language": 30.0, "expertise": 30.0, "distance": 0.0, "load": 0.0, "kept": 5.0},
    )
    kept.explanation = "speaks Spanish (native); expert in asylum; kept from run 3"
    factories.commit()

    row = text_of(client.get("/review"))
    row = plain(row[row.index('data-child="C-KEPT"') :])
    assert "kept proposal +5.0" in row
    assert "kept from run 3" in row
    assert row.index("load +0.0") < row.index("kept proposal +5.0")


def test_the_first_page_takes_the_same_few_queries_for_3_or_30_proposals(
    app, client, coordinator, factories, run
):
    """No query per row: the page reads with a fixed number of statements."""
    group = f.SiblingGroupFactory()

    def statements_for_page() -> int:
        seen: list[str] = []
        engine = app.extensions["counselmatch_db"].engine

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/review").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    def add(n: int) -> None:
        for i in range(n):
            propose(run, other_language_codes=["mam"], sibling_group=group if i % 2 else None)
        factories.commit()

    add(3)
    few = statements_for_page()
    add(27)
    many = statements_for_page()

    assert few == many
    assert many <= 16


def test_filters_narrow_the_queue_and_keep_their_values(app, client, coordinator, factories, run):
    propose(run, external_id="C-HOU-MAM", language_code="mam", next_hearing_date=days(5))
    propose(run, external_id="C-HOU-SPA", other_language_codes=["mam"], case_type="sijs")
    propose(
        run, external_id="C-NYC", court_code="NYC", attorney=f.AttorneyFactory(court_codes=["NYC"])
    )
    factories.commit()

    page = client.get("/review", query_string={"court": "HOU", "language": "mam"})
    assert rows_in(page) == ["C-HOU-MAM", "C-HOU-SPA"]  # Mam as primary or other language
    text = text_of(page)
    assert re.search(r'<option selected value="HOU">', text)
    assert re.search(r'<option selected value="mam">', text)
    assert "Clear the filters" in text

    assert rows_in(client.get("/review", query_string={"case_type": "sijs"})) == ["C-HOU-SPA"]
    assert rows_in(client.get("/review", query_string={"tier": "1"})) == ["C-HOU-MAM"]
    assert rows_in(client.get("/review", query_string={"court": "NYC"})) == ["C-NYC"]
    empty = text_of(client.get("/review", query_string={"court": "NYC", "tier": "1"}))
    assert "No proposal awaiting review meets these filters" in empty
    # A court or language no proposal has (any more) still filters: to nothing, not to all.
    for gone in ({"court": "SFR"}, {"language": "quc"}):
        page = client.get("/review", query_string=gone)
        assert rows_in(page) == [], gone
        assert "No proposal awaiting review meets these filters" in text_of(page)


def test_the_queue_is_paginated_and_pages_keep_the_filters(
    app, client, coordinator, factories, run
):
    app.config["PAGE_SIZE"] = 2
    for n in range(5):
        propose(run, external_id=f"C-{n}", next_hearing_date=days(40 + n))
    propose(run, external_id="C-NYC", court_code="NYC")
    factories.commit()

    first = client.get("/review", query_string={"court": "HOU"})
    assert rows_in(first) == ["C-0", "C-1"]
    text = text_of(first)
    assert "Showing 1–2 of 5 proposals (page 1 of 3)" in text
    next_link = re.search(r'href="([^"]+)" rel="next"', text).group(1)
    assert "court=HOU" in next_link and "page=2" in next_link
    assert rows_in(client.get(next_link)) == ["C-2", "C-3"]
    assert rows_in(client.get("/review", query_string={"court": "HOU", "page": "3"})) == ["C-4"]
    assert rows_in(client.get("/review", query_string={"court": "HOU", "page": "9"})) == ["C-4"]


def test_an_empty_queue_says_when_the_next_run_is(client, coordinator, factories):
    text = text_of(client.get("/review"))

    assert "No proposals awaiting review." in text
    assert "The next nightly run is at" in text
    assert 'data-empty="review"' in text


# --- one decision ---------------------------------------------------------------------------


def test_confirm_offers_the_case_and_lands_in_audit_and_timeline(
    client, coordinator, factories, run
):
    proposal = propose(run, external_id="C-1", attorney=f.AttorneyFactory(name="Ruth Okafor"))
    factories.commit()

    done = post_from(
        client,
        "/review?tier=3",
        f"/review/{proposal.id}/confirm",
        {"return_to": "/review?tier=3"},
    )

    assert done.status_code == 302 and done.location.endswith("/review?tier=3")
    assert status_of(factories, proposal.id) == MatchStatus.CONFIRMED
    after = client.get(done.location)
    assert ("success", "Confirmed: Ruth Okafor is offered the case of C-1.") in flashes(after)
    assert rows_in(after) == []
    audited = factories.scalars(select(AuditEvent).where(AuditEvent.action == "match_confirmed"))
    assert [a.entity_id for a in audited] == [str(proposal.id)]
    timeline = text_of(client.get(f"/children/{proposal.child_id}"))
    assert "Confirmed: offer sent to Ruth Okafor" in timeline
    assert coordinator.email in timeline


def test_reject_needs_a_reason_and_a_note_for_other(client, coordinator, factories, run):
    proposal = propose(run)
    factories.commit()
    action = f"/review/{proposal.id}/reject"

    missing = post_from(client, "/review", action, {"note": "wrong language"})
    assert missing.status_code == 400
    assert "Choose why the proposal is rejected." in text_of(missing)
    assert 'class="error-summary"' in text_of(missing)
    other = post_from(client, "/review", action, {"reason": "other", "note": " "})
    assert other.status_code == 400
    assert "Say why in the note: 'Other' needs one." in text_of(other)
    unknown = post_from(client, "/review", action, {"reason": "bored"})
    assert unknown.status_code == 400
    assert status_of(factories, proposal.id) == MatchStatus.PROPOSED
    assert factories.scalar(select(func.count()).select_from(MatchEvent)) == 0


def test_reject_with_a_reason_is_recorded_and_shown_on_the_timeline(
    client, coordinator, factories, run
):
    proposal = propose(run, external_id="C-9", attorney=f.AttorneyFactory(name="Ivo Brandt"))
    factories.commit()

    form = client.get(f"/review/{proposal.id}/reject", query_string={"return_to": "/review"})
    assert form.status_code == 200 and "Reject a proposal" in text_of(form)
    done = post_from(
        client,
        "/review",
        f"/review/{proposal.id}/reject",
        {"reason": "language", "note": "Speaks Mam at home", "return_to": "/review"},
    )

    assert done.status_code == 302
    assert status_of(factories, proposal.id) == MatchStatus.REJECTED
    message = (
        "Rejected: Ivo Brandt for C-9 (Language not a real match); this pair is not proposed again."
    )
    assert ("success", message) in flashes(client.get(done.location))
    [audited] = factories.scalars(select(AuditEvent).where(AuditEvent.action == "match_rejected"))
    assert audited.details["reason_code"] == "language"
    timeline = text_of(client.get(f"/children/{proposal.child_id}"))
    assert "Rejected: Ivo Brandt" in timeline
    assert "Language not a real match: Speaks Mam at home" in timeline


def test_a_stale_confirm_says_exactly_why_and_changes_nothing(client, coordinator, factories, run):
    attorney = f.AttorneyFactory(name="Mara Quist", capacity=1)
    proposal = propose(run, external_id="C-1", attorney=attorney)
    taken = propose(run, external_id="C-2")
    factories.commit()
    page = client.get("/review")
    # Meanwhile another coordinator fills the attorney and offers C-2 elsewhere.
    f.MatchFactory(attorney=attorney, status=MatchStatus.CONFIRMED)
    f.MatchFactory(child=taken.child, status=MatchStatus.CONFIRMED)
    factories.commit()
    events = factories.scalar(select(func.count()).select_from(MatchEvent))

    token = csrf_token(page)
    full = client.post(f"/review/{proposal.id}/confirm", data={"csrf_token": token})
    spoken_for = client.post(f"/review/{taken.id}/confirm", data={"csrf_token": token})

    messages = flashes(client.get("/review"))
    assert (
        "error",
        "Not confirmed: C-1 with Mara Quist: attorney Mara Quist now has no free slot "
        "(capacity 1: 0 accepted, 1 confirmed).",
    ) in messages
    other = taken.attorney.name
    assert any(
        m.startswith(f"Not confirmed: C-2 with {other}: the child already has a confirmed offer")
        for _, m in messages
    )
    assert full.status_code == spoken_for.status_code == 302
    assert status_of(factories, proposal.id) == MatchStatus.PROPOSED
    assert status_of(factories, taken.id) == MatchStatus.PROPOSED
    assert factories.scalar(select(func.count()).select_from(MatchEvent)) == events
    assert factories.scalar(select(func.count()).select_from(AuditEvent)) == 1  # the sign-in


def test_a_decision_on_a_proposal_that_does_not_exist_is_404(client, coordinator, factories):
    assert post_from(client, "/", "/review/999/confirm").status_code == 404
    assert post_from(client, "/", "/review/999/reject", {"reason": "conflict"}).status_code == 404
    assert client.get("/review/999/reject").status_code == 404


def test_return_to_never_leaves_the_site(client, coordinator, factories, run):
    proposal = propose(run)
    factories.commit()

    done = post_from(
        client, "/review", f"/review/{proposal.id}/confirm", {"return_to": "//evil.example/x"}
    )

    assert done.location.endswith("/review")


# --- in bulk --------------------------------------------------------------------------------


def test_bulk_confirm_reports_each_item_done_or_refused_and_why(
    client, coordinator, factories, run
):
    one_slot = f.AttorneyFactory(name="Kofi Mensah", capacity=1)
    first = propose(run, external_id="C-1", next_hearing_date=days(5), attorney=one_slot)
    second = propose(run, external_id="C-2", next_hearing_date=days(6), attorney=one_slot)
    other = propose(run, external_id="C-3", attorney=f.AttorneyFactory(name="Lin Wei"))
    gone = propose(run, external_id="C-4", attorney=f.AttorneyFactory(name="Abe Stone"))
    factories.commit()
    page = client.get("/review")
    gone.status = MatchStatus.SUPERSEDED  # a run replaced it after the page was shown
    factories.commit()

    done = client.post(
        "/review/bulk?tier=1",
        data={
            "csrf_token": csrf_token(page),
            "match_ids": [first.id, second.id, other.id, gone.id],
            "action": "confirm",
        },
    )

    assert done.status_code == 302 and done.location.endswith("/review?tier=1")
    messages = flashes(client.get(done.location))
    assert messages[0] == (
        "success",
        "Confirmed 2 of 4: C-1 with Kofi Mensah, C-3 with Lin Wei.",
    )
    assert (
        "error",
        "Not confirmed: C-2 with Kofi Mensah: attorney Kofi Mensah now has no free slot "
        "(capacity 1: 0 accepted, 1 confirmed).",
    ) in messages
    assert (
        "error",
        "Not confirmed: C-4 with Abe Stone: this proposal is no longer awaiting review: it was "
        "replaced.",
    ) in messages
    statuses = [status_of(factories, m.id) for m in (first, second, other, gone)]
    assert statuses == [
        MatchStatus.CONFIRMED,
        MatchStatus.PROPOSED,
        MatchStatus.CONFIRMED,
        MatchStatus.SUPERSEDED,
    ]
    assert (
        factories.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "match_confirmed")
        )
        == 2
    )


def test_bulk_reject_records_one_reason_for_each_and_skips_the_decided(
    client, coordinator, factories, run
):
    a = propose(run, external_id="C-1")
    b = propose(run, external_id="C-2")
    decided = propose(run, external_id="C-3")
    factories.commit()
    page = client.get("/review")
    decided.status = MatchStatus.CONFIRMED
    factories.commit()

    client.post(
        "/review/bulk",
        data={
            "csrf_token": csrf_token(page),
            "match_ids": [a.id, b.id, decided.id],
            "action": "reject",
            "reason": "attorney_unsuitable",
            "note": "Moving firms",
        },
    )

    factories.expire_all()
    for proposal in (a, b):
        match = factories.get_one(Match, proposal.id)
        assert match.status == MatchStatus.REJECTED
        assert match.reason == "Attorney unsuitable for this case: Moving firms"
    assert status_of(factories, decided.id) == MatchStatus.CONFIRMED
    messages = flashes(client.get("/review"))
    assert messages[0][0] == "success" and messages[0][1].startswith("Rejected 2 of 3: C-1 with")
    assert messages[1][1].startswith("Not rejected: C-3 with")


def test_bulk_form_errors_are_shown_with_the_ticks_kept(client, coordinator, factories, run):
    proposal = propose(run)
    factories.commit()
    token = csrf_token(client.get("/review"))

    nothing = client.post("/review/bulk", data={"csrf_token": token, "action": "confirm"})
    no_reason = client.post(
        "/review/bulk",
        data={"csrf_token": token, "match_ids": [proposal.id], "action": "reject"},
    )
    no_action = client.post("/review/bulk", data={"csrf_token": token, "match_ids": proposal.id})

    assert nothing.status_code == no_reason.status_code == no_action.status_code == 400
    assert "Tick at least one proposal first." in text_of(nothing)
    text = text_of(no_reason)
    assert "Choose why the ticked proposals are rejected." in text
    assert f'value="{proposal.id}" form="bulk" id="tick-{proposal.id}" checked' in text
    assert "Choose confirm or reject." in text_of(no_action)
    assert status_of(factories, proposal.id) == MatchStatus.PROPOSED


def test_a_long_bulk_report_still_fits_the_session_cookie(client, coordinator, factories, run):
    """Forty refusals: the report is capped so the signed cookie stays small (werkzeug warns
    of an oversized cookie, and warnings are errors here)."""
    full = f.AttorneyFactory(capacity=0, name="Pat Full")
    proposals = [propose(run, attorney=full) for _ in range(40)]
    factories.commit()

    done = post_from(
        client,
        "/review",
        "/review/bulk",
        {"match_ids": [p.id for p in proposals], "action": "confirm"},
    )

    messages = flashes(client.get(done.location))
    assert len(messages) == 26
    assert messages[-1] == (
        "error",
        "15 more were not confirmed; those still awaiting review stay in the queue.",
    )


# --- who may ------------------------------------------------------------------------------

PAGES = [
    "/review",
    "/review/1/reject",
    "/children/1",
    "/children/1/override",
    "/children/1/override/1",
]
POSTS = [
    "/review/1/confirm",
    "/review/1/reject",
    "/review/bulk",
    "/children/1/languages",
    "/children/1/offer",
    "/children/1/override/1",
]


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN])
def test_only_coordinators_reach_review_and_child_pages(client, signed_in, role, factories, run):
    proposal = propose(run)
    factories.commit()
    signed_in(role)
    token = csrf_token(client.get("/"))

    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        response = client.post(
            path, data={"csrf_token": token, "match_ids": proposal.id, "action": "confirm"}
        )
        assert response.status_code == 403, path
    assert status_of(factories, proposal.id) == MatchStatus.PROPOSED


def test_anonymous_visitors_are_sent_to_sign_in(client, factories):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path


def test_a_post_without_the_csrf_token_is_refused(client, coordinator, factories, run):
    proposal = propose(run)
    factories.commit()
    m, c, a = proposal.id, proposal.child_id, proposal.attorney_id
    paths = [
        f"/review/{m}/confirm",
        f"/review/{m}/reject",
        "/review/bulk",
        f"/children/{c}/languages",
        f"/children/{c}/offer",
        f"/children/{c}/override/{a}",
    ]
    data = {
        "match_ids": m,
        "action": "confirm",
        "reason": "conflict",
        "primary": "Mam",
        "attorney_id": a,
    }

    for path in paths:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "The form could not be sent" in text_of(response), path

    assert status_of(factories, m) == MatchStatus.PROPOSED
    assert factories.scalar(select(func.count()).select_from(Match)) == 1
    assert factories.scalar(select(func.count()).select_from(MatchEvent)) == 0
    assert (
        factories.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "sign_in")
        )
        == 0
    )


# --- sibling groups -------------------------------------------------------------------------


def propose_siblings(run, attorney, *external_ids: str) -> list[Match]:
    group = f.SiblingGroupFactory()
    return [
        f.MatchFactory(
            run=run,
            attorney=attorney,
            child=f.ChildFactory(external_id=external_id, sibling_group=group),
        )
        for external_id in external_ids
    ]


def test_confirming_one_sibling_confirms_the_group_and_the_row_says_so(
    client, coordinator, factories, run
):
    first, second = propose_siblings(run, f.AttorneyFactory(name="Ruth Okafor"), "C-1", "C-2")
    factories.commit()
    page = client.get("/review")
    row = re.search(rf'<tr data-match="{first.id}".*?</tr>', text_of(page), re.S)
    assert row is not None
    assert (
        "Sibling group: confirming or rejecting acts on the siblings' proposals to this "
        "attorney too." in plain(row.group(0))
    )

    done = post_from(client, "/review", f"/review/{first.id}/confirm")

    assert [status_of(factories, m.id) for m in (first, second)] == [MatchStatus.CONFIRMED] * 2
    assert (
        "success",
        "Confirmed: Ruth Okafor is offered the cases of C-1 and sibling C-2.",
    ) in flashes(client.get(done.location))


def test_siblings_are_not_confirmed_when_the_attorney_has_room_for_one(
    client, coordinator, factories, run
):
    first, second = propose_siblings(
        run, f.AttorneyFactory(name="Kofi Mensah", capacity=1), "C-1", "C-2"
    )
    factories.commit()

    done = post_from(client, "/review", f"/review/{second.id}/confirm")

    assert [status_of(factories, m.id) for m in (first, second)] == [MatchStatus.PROPOSED] * 2
    assert (
        "error",
        "Not confirmed: C-2 and sibling C-1 with Kofi Mensah: attorney Kofi Mensah has 1 free "
        "slot but the sibling group needs 2 (siblings go to one attorney together).",
    ) in flashes(client.get(done.location))
    assert factories.scalar(select(func.count()).select_from(MatchEvent)) == 0


def test_rejecting_one_sibling_rejects_the_group(client, coordinator, factories, run):
    first, second = propose_siblings(run, f.AttorneyFactory(name="Lin Wei"), "C-1", "C-2")
    factories.commit()
    form = client.get(f"/review/{first.id}/reject")
    assert "the siblings' proposals to this attorney are rejected too" in text_of(form)

    done = client.post(
        f"/review/{first.id}/reject",
        data={"csrf_token": csrf_token(form), "reason": "conflict", "note": ""},
    )

    factories.expire_all()
    for proposal in (first, second):
        match = factories.get_one(Match, proposal.id)
        assert (match.status, match.reason) == (MatchStatus.REJECTED, "Conflict of interest found")
    assert (
        "success",
        "Rejected: Lin Wei for C-1 and sibling C-2 (Conflict of interest found); this pair is "
        "not proposed again for these siblings.",
    ) in flashes(client.get(done.location))
    [audited] = factories.scalars(select(AuditEvent).where(AuditEvent.action == "match_rejected"))
    assert audited.details["sibling_match_ids"] == [second.id]


def test_offering_a_sibling_by_hand_offers_the_group(client, coordinator, factories, run):
    first, second = propose_siblings(run, f.AttorneyFactory(), "C-1", "C-2")
    chosen = f.AttorneyFactory(name="Nia Soto")
    factories.commit()
    path = f"/children/{first.child_id}"

    after = post_from(
        client, path, f"{path}/offer", {"attorney_id": chosen.id}, follow_redirects=True
    )

    assert "of the siblings still needing counsel" in after.get_data(as_text=True)
    made = factories.scalars(select(Match).where(Match.manual.is_(True)).order_by(Match.id))
    assert [(m.child_id, m.attorney_id, m.status) for m in made] == [
        (first.child_id, chosen.id, MatchStatus.CONFIRMED),
        (second.child_id, chosen.id, MatchStatus.CONFIRMED),
    ]
    assert [status_of(factories, m.id) for m in (first, second)] == [MatchStatus.SUPERSEDED] * 2


def test_bulk_with_both_siblings_ticked_decides_the_group_once(client, coordinator, factories, run):
    first, second = propose_siblings(run, f.AttorneyFactory(name="Abe Stone"), "C-1", "C-2")
    alone = propose(run, external_id="C-3", attorney=f.AttorneyFactory(name="Lin Wei"))
    factories.commit()
    page = client.get("/review")

    done = client.post(
        "/review/bulk",
        data={
            "csrf_token": csrf_token(page),
            "match_ids": [second.id, alone.id, first.id],
            "action": "confirm",
        },
    )

    statuses = [status_of(factories, m.id) for m in (first, second, alone)]
    assert statuses == [MatchStatus.CONFIRMED] * 3
    assert flashes(client.get(done.location)) == [
        (
            "success",
            "Confirmed 2 of 2: C-2 and sibling C-1 with Abe Stone, C-3 with Lin Wei.",
        )
    ]
    confirmations = factories.scalars(
        select(AuditEvent).where(AuditEvent.action == "match_confirmed")
    ).all()
    assert len(confirmations) == 2
    assert (
        factories.scalar(
            select(func.count())
            .select_from(MatchEvent)
            .where(MatchEvent.to_status == MatchStatus.CONFIRMED)
        )
        == 3
    )
