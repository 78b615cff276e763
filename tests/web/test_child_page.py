"""GET /children/<id>: details, timeline, language correction and manual matches, both backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fixtures import factories as f
from models import AuditEvent, Child, Match, MatchEvent, MatchStatus, Role
from tests.conftest import TODAY

from .conftest import csrf_token, flashes, plain, post_from, status_of, text_of


@pytest.fixture
def coordinator(signed_in):
    return signed_in(Role.COORDINATOR)


def eligible_rows(page) -> list[str]:
    """External ids of the attorneys listed as eligible, in order."""
    text = page.get_data(as_text=True)
    table = text[text.index('class="counts eligible-table"') :] if "eligible-table" in text else ""
    return re.findall(r'<tr data-attorney="([^"]+)"', table[: table.find("</table>")])


def timeline_rows(page) -> list[tuple[str, str]]:
    """(kind, row text) of the timeline, newest first."""
    text = text_of(page)
    return [
        (kind, plain(row))
        for kind, row in re.findall(r'<tr data-kind="([^"]+)">(.*?)</tr>', text, re.S)
    ]


def test_the_page_shows_the_child_with_the_a_number_masked(client, coordinator, factories):
    group = f.SiblingGroupFactory()
    child = f.ChildFactory(
        first_name="Ixchel",
        last_name="Tzul",
        a_number="201555123",
        country_of_origin="Guatemala",
        language_code="mam",
        other_language_codes=["spa"],
        court_code="NYC",
        case_type="sijs",
        next_hearing_date=TODAY + timedelta(days=10),
        detained=False,
        sibling_group=group,
    )
    sister = f.ChildFactory(first_name="Rosa", last_name="Tzul", sibling_group=group)
    factories.commit()

    page = client.get(f"/children/{child.id}")

    assert page.status_code == 200
    text = text_of(page)
    assert "201555123" not in text and "201555" not in text
    shown = plain(text)
    for expected in (
        "Ixchel Tzul",
        "A-•••-•••-123",
        "ending in 123",
        "Guatemala",
        "Mam (primary), Spanish",
        "New York (NYC)",
        "SIJS",
        f"{(TODAY + timedelta(days=10)).isoformat()}",
        "T1",
        "Detained No",
        "Rosa Tzul",
    ):
        assert expected in shown, expected
    assert f'href="/children/{sister.id}">Rosa Tzul</a>' in text
    assert client.get("/children/99999").status_code == 404


def test_the_timeline_tells_every_step_with_who_when_and_why(client, coordinator, factories):
    child = f.ChildFactory()
    first_run = f.MatchRunFactory()
    rejected = f.MatchFactory(
        child=child,
        attorney=f.AttorneyFactory(name="Ann Rees"),
        run=first_run,
        status=MatchStatus.REJECTED,
    )
    f.MatchEventFactory(
        match=rejected, from_status=None, to_status=MatchStatus.PROPOSED, reason="proposed by run"
    )
    f.MatchEventFactory(
        match=rejected,
        from_status=MatchStatus.PROPOSED,
        to_status=MatchStatus.REJECTED,
        user_id=coordinator.id,
        reason="Conflict of interest found: represents the sponsor",
    )
    latest = f.MatchRunFactory()
    f.UnmatchedChildFactory(
        run=latest,
        child=child,
        reason="all_eligible_full",
        detail="All 3 eligible attorneys are full (no free slots).",
    )
    factories.commit()

    rows = timeline_rows(client.get(f"/children/{child.id}"))

    kinds = [kind for kind, _ in rows]
    assert sorted(kinds) == ["proposed", "rejected", "unmatched"]
    by_kind = dict(rows)
    assert "Rejected: Ann Rees" in by_kind["rejected"]
    assert coordinator.email in by_kind["rejected"]
    assert "Conflict of interest found: represents the sponsor" in by_kind["rejected"]
    assert f"run {first_run.id}" in by_kind["proposed"]
    assert "Left unmatched: Every eligible attorney is full" in by_kind["unmatched"]
    assert f"run {latest.id}" in by_kind["unmatched"]
    assert "All 3 eligible attorneys are full" in by_kind["unmatched"]


def test_correcting_the_languages_is_saved_audited_and_on_the_timeline(
    client, coordinator, factories
):
    child = f.ChildFactory(language_code="spa")
    factories.commit()
    page_path = f"/children/{child.id}"
    assert 'value="Spanish"' in text_of(client.get(page_path))  # the form shows what is stored

    done = post_from(
        client, page_path, f"{page_path}/languages", {"primary": "Kiche", "others": "Español; "}
    )

    assert done.status_code == 302 and done.location.endswith(page_path)
    factories.expire_all()
    stored = factories.get_one(Child, child.id)
    assert stored.primary_language.code == "quc"
    assert [row.language.code for row in stored.other_languages] == ["spa"]
    [audited] = factories.scalars(
        select(AuditEvent).where(AuditEvent.action == "child_languages_corrected")
    ).all()
    assert audited.details["old_primary"] == "spa" and audited.details["new_primary"] == "quc"
    after = client.get(page_path)
    assert flashes(after)[0][0] == "success"
    [(kind, row)] = timeline_rows(after)
    assert kind == "languages"
    assert "Languages corrected" in row and coordinator.email in row
    assert "primary Spanish → K'iche'; others none → Spanish" in row


def test_an_unknown_language_is_refused_with_a_suggestion(client, coordinator, factories):
    child = f.ChildFactory(language_code="spa")
    factories.commit()
    page_path = f"/children/{child.id}"

    missing = post_from(client, page_path, f"{page_path}/languages", {"primary": ""})
    unknown = post_from(
        client, page_path, f"{page_path}/languages", {"primary": "Mam", "others": "Qanjobl"}
    )

    assert missing.status_code == unknown.status_code == 400
    assert "Enter the language the child speaks best." in text_of(missing)
    text = text_of(unknown)
    assert "'Qanjobl' is not in the language list. Did you mean Q'anjob'al?" in text
    assert 'class="error-summary"' in text
    factories.expire_all()
    assert factories.get_one(Child, child.id).primary_language.code == "spa"
    assert factories.scalar(select(func.count()).select_from(AuditEvent)) == 1  # the sign-in


def test_eligible_attorneys_are_listed_best_fit_first_and_can_be_searched(
    app, client, coordinator, factories
):
    child = f.ChildFactory()
    f.AttorneyFactory(external_id="A-FLUENT", name="Fay Lind")
    f.AttorneyFactory(external_id="A-NATIVE", name="Nia Soto", language_levels={"spa": "native"})
    f.AttorneyFactory(external_id="A-FULL", capacity=0)
    f.AttorneyFactory(external_id="A-AWAY", court_codes=["NYC"])
    f.AttorneyFactory(external_id="A-SIJS", expertise_levels={"sijs": "expert"})
    factories.commit()
    path = f"/children/{child.id}"

    assert eligible_rows(client.get(path)) == ["A-NATIVE", "A-FLUENT"]
    assert eligible_rows(client.get(path, query_string={"q": "lind"})) == ["A-FLUENT"]
    app.config["PAGE_SIZE"] = 1
    second = client.get(path, query_string={"page": "2"})
    assert eligible_rows(second) == ["A-FLUENT"]
    assert "Showing 2–2 of 2 eligible attorneys (page 2 of 2)" in text_of(second)


def test_offering_an_eligible_attorney_makes_a_confirmed_manual_match(
    client, coordinator, factories
):
    child = f.ChildFactory()
    proposal = f.MatchFactory(child=child)
    chosen = f.AttorneyFactory(name="Nia Soto", language_levels={"spa": "native"})
    factories.commit()
    path = f"/children/{child.id}"

    done = post_from(client, path, f"{path}/offer", {"attorney_id": chosen.id})

    assert done.status_code == 302
    [match] = factories.scalars(select(Match).where(Match.manual.is_(True))).all()
    assert (match.attorney_id, match.status) == (chosen.id, MatchStatus.CONFIRMED)
    assert status_of(factories, proposal.id) == MatchStatus.SUPERSEDED
    after = client.get(path)
    assert ("success", "Offer sent: Nia Soto is offered the case.") in flashes(after)
    kinds = [kind for kind, _ in timeline_rows(after)]
    assert kinds.count("confirmed") == 1 and "superseded" in kinds
    assert "Matched by hand with Nia Soto: offer sent" in plain(text_of(after))
    assert "no other offer can be made" in text_of(after)
    assert (
        factories.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "match_manual")
        )
        == 1
    )


def test_offering_an_attorney_who_no_longer_qualifies_is_refused_with_the_reason(
    client, coordinator, factories
):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory(name="Fay Lind", capacity=1)
    factories.commit()
    path = f"/children/{child.id}"
    token = csrf_token(client.get(path))
    f.MatchFactory(attorney=attorney, status=MatchStatus.ACCEPTED)  # her last slot went
    factories.commit()

    done = client.post(f"{path}/offer", data={"csrf_token": token, "attorney_id": attorney.id})

    assert done.status_code == 302
    [(category, message)] = flashes(client.get(path))
    assert category == "error"
    assert message == (
        "Not offered: attorney Fay Lind now has no free slot (capacity 1: 1 accepted, "
        "0 confirmed). To offer the case anyway, choose the attorney under 'Override a rule' "
        "and say why."
    )
    assert factories.scalar(select(func.count()).select_from(Match)) == 1


def test_an_override_states_the_rule_and_needs_a_reason(client, coordinator, factories):
    child = f.ChildFactory(language_code="mam")
    attorney = f.AttorneyFactory(external_id="A-777", name="Olga Brandt")
    busy = f.AttorneyFactory(name="Olga Vance", capacity=0)
    factories.commit()
    path = f"/children/{child.id}"

    found = client.get(f"{path}/override", query_string={"q": "olga"})
    text = plain(text_of(found))
    assert "Olga Brandt" in text and "Olga Vance" in text
    assert "attorney Olga Brandt speaks no Mam and no interpreter is available for Mam" in text
    assert "attorney Olga Vance now has no free slot (capacity 0" in text
    by_id = client.get(f"{path}/override", query_string={"q": "a-777"}).get_data(as_text=True)
    assert re.findall(r'<tr data-attorney="([^"]+)"', by_id) == ["A-777"]

    page = client.get(f"{path}/override/{attorney.id}")
    assert "Rules this match overrides" in text_of(page)
    assert "language (rule 2)" in text_of(page)
    without = post_from(client, path, f"{path}/override/{attorney.id}", {"reason": "  "})
    assert without.status_code == 400
    assert "Say why this match may go ahead despite the rule." in text_of(without)
    assert factories.scalar(select(func.count()).select_from(Match)) == 0

    done = post_from(
        client, path, f"{path}/override/{attorney.id}", {"reason": "Works with a Mam interpreter"}
    )

    assert done.status_code == 302 and done.location.endswith(path)
    [match] = factories.scalars(select(Match)).all()
    assert (match.attorney_id, match.manual, match.status) == (
        attorney.id,
        True,
        MatchStatus.CONFIRMED,
    )
    [event] = factories.scalars(select(MatchEvent)).all()
    assert event.reason == "manual match overriding language (rule 2): Works with a Mam interpreter"
    [audited] = factories.scalars(
        select(AuditEvent).where(AuditEvent.action == "match_manual")
    ).all()
    assert audited.details["overridden_rules"] == ["language"]
    timeline = plain(text_of(client.get(path)))
    assert "Matched by hand with Olga Brandt: offer sent" in timeline
    assert "Works with a Mam interpreter" in timeline
    assert busy.id != attorney.id


def test_no_override_can_give_a_child_a_second_offer(client, coordinator, factories):
    child = f.ChildFactory()
    f.MatchFactory(child=child, status=MatchStatus.CONFIRMED, attorney=f.AttorneyFactory(name="X"))
    other = f.AttorneyFactory()
    factories.commit()
    path = f"/children/{child.id}"

    page = client.get(f"{path}/override/{other.id}")
    assert "This match is not possible" in text_of(page)
    assert 'name="reason"' not in text_of(page)
    done = post_from(client, path, f"{path}/override/{other.id}", {"reason": "urgent"})
    refused = client.get(done.location)
    assert any("the child already has a confirmed offer" in m for _, m in flashes(refused))
    assert factories.scalar(select(func.count()).select_from(Match)) == 1
    assert "no other offer can be made" in text_of(client.get(path))
    assert eligible_rows(client.get(path)) == []


def test_the_childs_pending_proposal_can_be_decided_from_the_page(client, coordinator, factories):
    proposal = f.MatchFactory(attorney=f.AttorneyFactory(name="Ruth Okafor"))
    factories.commit()
    path = f"/children/{proposal.child_id}"
    assert "Proposal awaiting review: Ruth Okafor" in text_of(client.get(path))

    done = post_from(
        client, path, f"/review/{proposal.id}/reject", {"reason": "conflict", "return_to": path}
    )

    assert done.location.endswith(path)
    assert status_of(factories, proposal.id) == MatchStatus.REJECTED
