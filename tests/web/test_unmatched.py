"""The unmatched children page: who is still waiting, why (the latest successful run's reason),
the attorneys who come closest and what is in their way, the summary, filters and pages."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from fixtures import factories as f
from jobs.matching import run_match
from models.base import utcnow
from models.entities import CaseStatus, MatchStatus, Role, RunStatus
from models.reasons import REASON_LABELS
from tests.conftest import TODAY, days

from .conftest import shown_counts


def shown_children(html: str) -> list[str]:
    return re.findall(r'<tr data-child="([^"]+)">', html)


def places_shown(html: str) -> list[tuple[str, str, int, int, int]]:
    """(court and language, why, urgent children, eligible attorneys, with a free place) per row
    of the summary by court and language, in order."""
    rows = re.findall(
        r'<tr data-place="[^"]*">\s*<th scope="row">([^<]*)</th>\s*<td>([^<]*)</td>\s*'
        r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
        html,
    )
    return [(place, why, int(u), int(e), int(f)) for place, why, u, e, f in rows]


def row_of(html: str, external_id: str) -> str:
    start = html.index(f'<tr data-child="{external_id}">')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def scene(factories):
    """A latest successful run with a reason for each child it left unmatched, children it never
    saw, and children who must not be listed."""
    now = utcnow()
    before_run = now - timedelta(hours=3)
    f.MatchRunFactory(started_at=now - timedelta(days=1))  # an older run
    run = f.MatchRunFactory(started_at=now - timedelta(hours=1))
    f.MatchRunFactory(status=RunStatus.FAILED, started_at=now - timedelta(minutes=30))

    def considered(**fields):
        return f.ChildFactory(created_at=before_run, **fields)

    s = SimpleNamespace(run=run)
    s.mam = considered(language_code="mam", next_hearing_date=days(5), external_id="C-MAM")
    s.detained = considered(detained=True, next_hearing_date=days(100), external_id="C-DET")
    s.full = considered(
        next_hearing_date=days(20), other_language_codes=["mam"], external_id="C-FULL"
    )
    s.later = considered(
        court_code="SFR", case_type="sijs", next_hearing_date=None, external_id="C-LATER"
    )
    s.turned_down = considered(external_id="C-TURNED")
    s.new = f.ChildFactory(external_id="C-NEW")  # added after the run

    english_only = f.AttorneyFactory(name="Ed English", language_levels={"eng": "native"})
    no_detained = f.AttorneyFactory(name="Nora Nodetain", takes_detained=False)
    s.full_attorney = f.AttorneyFactory(name="Fay Full", firm="Full & Co", capacity=1)
    on_leave = f.AttorneyFactory(name="Lee Leave", leave=[(days(-1), days(10))])
    far = f.AttorneyFactory(name="Sam Far", court_codes=["SFR"], travel_radius_km=50, states=["CA"])
    conflicted = f.AttorneyFactory(name="Cole Conflict")
    free = f.AttorneyFactory(name="Fran Free", capacity=3, imported_active_cases=1)
    f.ConflictFactory(attorney=conflicted, child=s.full)
    f.MatchFactory(
        child=f.ChildFactory(external_id="C-ACCEPTED"),
        attorney=s.full_attorney,
        run=run,
        status=MatchStatus.ACCEPTED,
    )

    def unmatched(child, tier, reason, closest=(), **counts):
        f.UnmatchedChildFactory(
            run=run,
            child=child,
            tier=tier,
            reason=reason,
            detail=f"detail of {child.external_id}",
            counts=counts,
            closest_attorney_ids=[a.id for a in closest],
        )

    unmatched(s.mam, 1, "no_language", [english_only], serve_court=12, language=0)
    unmatched(
        s.detained,
        1,
        "detained_no_attorney",
        [no_detained],
        serve_court=9,
        language=7,
        expertise=4,
        take_detained=0,
    )
    unmatched(
        s.full,
        2,
        "all_eligible_full",
        [s.full_attorney, on_leave, far, conflicted, free],
        serve_court=8,
        language=8,
        expertise=8,
        take_detained=8,
        not_on_leave=7,
        no_conflict=6,
        free_capacity=0,
    )
    unmatched(s.later, 4, "taken_by_more_urgent", serve_court=3, no_conflict=3, free_capacity=2)
    f.MatchFactory(child=s.turned_down, run=run, status=MatchStatus.REJECTED)

    # Not listed: represented, proposed, offered, or the case closed.
    for status in (MatchStatus.PROPOSED, MatchStatus.CONFIRMED):
        listed_elsewhere = considered(external_id=f"C-{status.value.upper()}")
        f.MatchFactory(child=listed_elsewhere, run=run, status=status)
        unmatched(listed_elsewhere, 3, "no_language")
    closed = considered(case_status=CaseStatus.CLOSED, external_id="C-CLOSED")
    unmatched(closed, 3, "no_language")
    factories.commit()
    return s


ALL_LISTED = ["C-MAM", "C-DET", "C-FULL", "C-TURNED", "C-NEW", "C-LATER"]


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD], ids=lambda r: r.value)
def test_only_coordinators_see_the_list(client, signed_in, role):
    signed_in(role)
    assert client.get("/children/unmatched").status_code == 403


def test_every_waiting_child_is_listed_most_urgent_first(client, signed_in, scene):
    signed_in(Role.COORDINATOR)
    html = client.get("/children/unmatched").get_data(as_text=True)

    assert shown_children(html) == ALL_LISTED
    assert f'href="/runs/{scene.run.id}">run {scene.run.id}</a>' in html
    mam = row_of(html, "C-MAM")
    assert '<span class="tier tier-1">T1</span>' in mam and f"hearing {days(5).isoformat()}" in mam
    assert f'<a href="/children/{scene.mam.id}">' in mam  # the child's page
    assert "Houston (HOU)" in mam and "Mam" in mam
    assert "detained; hearing" in row_of(html, "C-DET")
    assert "no hearing date" in row_of(html, "C-LATER") and ">T4</span>" in html


def test_each_child_shows_the_runs_reason_detail_and_counts(client, signed_in, scene):
    signed_in(Role.COORDINATOR)
    html = client.get("/children/unmatched").get_data(as_text=True)

    mam = row_of(html, "C-MAM")
    assert 'data-reason="no_language">No attorney speaks the language<' in mam
    assert "detail of C-MAM" in mam
    assert "<li>12 serve the court</li><li>0 and speak a language</li>" in mam
    full = row_of(html, "C-FULL")
    assert "Every eligible attorney is full" in full and "<li>0 and have a free slot</li>" in full
    new = row_of(html, "C-NEW")
    assert 'data-reason="not_yet_considered">Not yet considered by a run<' in new
    assert "turned down since" not in new
    turned = row_of(html, "C-TURNED")
    assert "Not yet considered by a run" in turned
    assert f"Run {scene.run.id} proposed an attorney" in turned


def test_closest_attorneys_say_what_stands_in_the_way(client, signed_in, scene):
    signed_in(Role.COORDINATOR)
    html = client.get("/children/unmatched").get_data(as_text=True)

    full = row_of(html, "C-FULL")
    whys = re.findall(r'<li data-attorney="\d+">([^<]*)<br><span class="hint">([^<]*)</span>', full)
    assert [(who.strip(), why) for who, why in whys] == [
        ("Fay Full, Full &amp; Co", "eligible but full (1 of 1 slots taken)"),
        ("Lee Leave, Whitmore &amp; Lang LLP", f"on leave until {days(10).isoformat()}"),
        ("Sam Far, Whitmore &amp; Lang LLP", "does not serve court HOU"),
        ("Cole Conflict, Whitmore &amp; Lang LLP", "has a recorded conflict with this child"),
        ("Fran Free, Whitmore &amp; Lang LLP", "eligible, 2 free slots now"),
    ]
    assert f'href="mailto:{scene.full_attorney.email}"' in full
    assert "does not speak Mam" in row_of(html, "C-MAM")
    assert "does not take detained cases" in row_of(html, "C-DET")
    assert "No attorney comes close" in row_of(html, "C-LATER")


def test_the_summary_sums_reasons_and_urgent_places(client, signed_in, scene):
    signed_in(Role.COORDINATOR)
    page = client.get("/children/unmatched")
    html = page.get_data(as_text=True)
    counts = shown_counts(page)

    assert counts["reason-no_language"] == 1 and counts["urgent-no_language"] == 1
    assert counts["reason-detained_no_attorney"] == 1
    assert counts["reason-all_eligible_full"] == 1 and counts["urgent-all_eligible_full"] == 1
    assert counts["reason-taken_by_more_urgent"] == 1
    assert counts["urgent-taken_by_more_urgent"] == 0
    assert counts["unmatched-total"] == 4 and counts["not-considered"] == 2
    # Tiers are today's; the detained child and the Mam child have no eligible attorney.
    assert places_shown(html) == [
        ("Houston (HOU), Mam", "No attorney speaks the language", 1, 0, 0),
        ("Houston (HOU), Spanish", "No attorney takes detained cases", 1, 0, 0),
        ("Houston (HOU), Spanish", "Every eligible attorney is full", 1, 6, 0),
    ]
    assert "2 with no eligible attorney" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"court": "SFR"}, ["C-LATER"]),
        ({"language": "mam"}, ["C-MAM", "C-FULL"]),  # primary or another language
        ({"case_type": "sijs"}, ["C-LATER"]),
        ({"tier": "1"}, ["C-MAM", "C-DET"]),
        ({"tier": "3"}, ["C-TURNED", "C-NEW"]),
        ({"reason": "all_eligible_full"}, ["C-FULL"]),
        ({"reason": "not_yet_considered"}, ["C-TURNED", "C-NEW"]),
        ({"court": "HOU", "tier": "1", "language": "spa"}, ["C-DET"]),
        ({"court": "HOU", "reason": "taken_by_more_urgent"}, []),
    ],
)
def test_filters_narrow_the_list_and_the_summary(client, signed_in, scene, query, expected):
    signed_in(Role.COORDINATOR)
    page = client.get("/children/unmatched", query_string=query)
    html = page.get_data(as_text=True)

    assert shown_children(html) == expected
    counts = shown_counts(page)
    considered = [c for c in expected if c not in ("C-TURNED", "C-NEW")]
    assert counts.get("unmatched-total", 0) == len(considered)
    assert counts.get("not-considered", 0) == len(expected) - len(considered)
    assert "Clear the filters" in html
    if not expected:
        assert "No unmatched child meets these filters" in html
    for value in query.values():
        assert f'<option selected value="{value}">' in html


def test_the_filter_choices_are_those_of_open_cases(client, signed_in, scene):
    signed_in(Role.COORDINATOR)
    html = client.get("/children/unmatched").get_data(as_text=True)
    court_select = html[html.index('<select class="input" id="court"') :]
    court_select = court_select[: court_select.index("</select>")]
    assert re.findall(r'<option[^>]*value="([^"]*)"', court_select) == ["", "HOU", "SFR"]
    language_select = html[html.index('<select class="input" id="language"') :]
    language_select = language_select[: language_select.index("</select>")]
    assert re.findall(r'<option[^>]*value="([^"]*)"', language_select) == ["", "mam", "spa"]
    for label in REASON_LABELS.values():
        assert f">{label}</option>" in html


def test_a_filter_value_that_is_not_a_choice_is_reported_and_left_out(client, signed_in, scene):
    signed_in(Role.COORDINATOR)
    html = client.get("/children/unmatched?tier=9&court=XXX").get_data(as_text=True)
    assert shown_children(html) == ALL_LISTED
    assert html.count("Not a valid choice.") == 2


def test_the_list_is_paginated_keeping_the_filters(app, client, signed_in, scene):
    app.config["PAGE_SIZE"] = 2
    signed_in(Role.COORDINATOR)

    first = client.get("/children/unmatched?court=HOU").get_data(as_text=True)
    second = client.get("/children/unmatched?court=HOU&page=2").get_data(as_text=True)
    third = client.get("/children/unmatched?court=HOU&page=3").get_data(as_text=True)

    assert shown_children(first) == ["C-MAM", "C-DET"]
    assert 'href="/children/unmatched?court=HOU&amp;page=2" rel="next"' in first
    assert shown_children(second) == ["C-FULL", "C-TURNED"]
    assert shown_children(third) == ["C-NEW"]
    assert "Showing 5&ndash;5 of 5 children (page 3 of 3)" in third


def test_nobody_waiting_says_so(client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    html = client.get("/children/unmatched").get_data(as_text=True)
    assert "No child is waiting for an attorney" in html
    assert "No matching run has finished yet" in html


def test_before_any_run_every_child_is_not_yet_considered(client, signed_in, factories):
    f.ChildFactory(external_id="C-1")
    f.MatchRunFactory(status=RunStatus.FAILED)
    factories.commit()
    signed_in(Role.COORDINATOR)
    page = client.get("/children/unmatched")
    html = page.get_data(as_text=True)
    assert shown_children(html) == ["C-1"]
    assert "No matching run has finished yet" in html and "Not yet considered by a run" in html
    assert shown_counts(page)["not-considered"] == 1


def _statements_for_one_page(app, client) -> int:
    statements = []

    def count(*_args: object) -> None:
        statements.append(1)

    engine = app.extensions["counselmatch_db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/children/unmatched").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_children(app, client, signed_in, factories):
    signed_in(Role.COORDINATOR)
    run = f.MatchRunFactory(started_at=utcnow() + timedelta(hours=1))

    def add_children(n: int) -> None:
        for _ in range(n):
            closest = [f.AttorneyFactory(), f.AttorneyFactory(capacity=0)]
            f.UnmatchedChildFactory(
                run=run,
                child=f.ChildFactory(other_language_codes=["mam"]),
                closest_attorney_ids=[a.id for a in closest],
            )
        factories.commit()

    add_children(2)
    few = _statements_for_one_page(app, client)
    add_children(20)
    many = _statements_for_one_page(app, client)

    assert many == few
    assert few <= 30  # a fixed number: the page, its sums, and one engine instance for the closest


def test_the_reasons_of_a_real_run_are_shown(client, signed_in, factories, db):
    signed_in(Role.COORDINATOR)
    f.AttorneyFactory(capacity=1)
    urgent = f.ChildFactory(next_hearing_date=days(3))
    later = f.ChildFactory(next_hearing_date=days(40))
    mam = f.ChildFactory(language_code="mam")
    sijs = f.ChildFactory(case_type="sijs")
    factories.commit()

    run_match(db, as_of=TODAY, trigger="command")
    html = client.get("/children/unmatched").get_data(as_text=True)

    assert shown_children(html) == [later.external_id, mam.external_id, sijs.external_id]
    assert urgent.external_id not in html  # proposed
    assert "Free slots went to children as urgent or more" in row_of(html, later.external_id)
    assert "eligible but full (0 of 1 slots taken)" not in html  # the proposal holds no slot
    assert "eligible, 1 free slot, 1 proposed to other children awaiting review" in row_of(
        html, later.external_id
    )
    assert "No attorney speaks the language" in row_of(html, mam.external_id)
    assert "No attorney covers the case type" in row_of(html, sijs.external_id)
    assert "does not take SIJS cases" in row_of(html, sijs.external_id)
