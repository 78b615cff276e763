"""GET /attorneys and /attorneys/<id>, the review queue's attorney filter and the child page's
offers: the test client with CSRF on, both backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fixtures import factories as f
from models import MatchStatus, Role
from models.base import utcnow
from models.entities import CaseOutcome, MatchEvent, VolunteerStatus
from tests.conftest import days
from tests.models.records import count_statements

from .conftest import plain, text_of


def listed(page) -> list[str]:
    """The external ids of the attorney list's rows, in order."""
    return re.findall(r'<tr data-attorney="([^"]+)"', page.get_data(as_text=True))


def row_of(page, external_id: str) -> str:
    text = text_of(page)
    start = text.index(f'data-attorney="{external_id}"')
    return text[start : text.index("</tr>", start)]


@pytest.fixture
def coordinator(signed_in):
    return signed_in(Role.COORDINATOR)


def offer(attorney, status: MatchStatus, *, offered_days_ago: int = 1, **fields):
    """A match of a new child to `attorney` in `status`, offered so many days ago."""
    offered = utcnow() - timedelta(days=offered_days_ago, hours=1)
    return f.MatchFactory(attorney=attorney, status=status, offered_at=offered, **fields)


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ATTORNEY, Role.PROGRAM_LEAD, Role.ADMIN])
@pytest.mark.parametrize("path", ["/attorneys", "/attorneys/{id}"])
def test_only_coordinators_see_the_attorney_pages(client, signed_in, factories, role, path):
    attorney = f.AttorneyFactory()
    factories.commit()
    signed_in(role)

    assert client.get(path.format(id=attorney.id)).status_code == 403


@pytest.mark.parametrize("path", ["/attorneys", "/attorneys/1"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_each_attorney_with_languages_courts_slots_offers_and_account(
    client, coordinator, factories
):
    busy = f.AttorneyFactory(
        external_id="A-BUSY",
        name="Dana Whitfield",
        firm="Hale & Ortiz LLP",
        capacity=3,
        imported_active_cases=1,
        language_levels={"eng": "native", "spa": "fluent"},
        court_codes=("HOU", "DAL"),
    )
    offer(busy, MatchStatus.CONFIRMED)
    offer(busy, MatchStatus.ACCEPTED)
    f.AttorneyFactory(external_id="A-IDLE", name="Ana Idle")
    invited = f.AttorneyFactory(external_id="A-INVITED", name="Bea Invited")
    f.UserFactory(role=Role.ATTORNEY, attorney=invited, email="bea@example.org")
    factories.commit()

    page = client.get("/attorneys")

    assert page.status_code == 200
    assert listed(page) == ["A-IDLE", "A-INVITED", "A-BUSY"]  # by name
    row = row_of(page, "A-BUSY")
    assert "Dana Whitfield" in row and "Hale & Ortiz LLP" in row
    assert "English (native), Spanish (fluent)" in plain(row)
    assert "Dallas" in row and "Houston" in row
    assert 'data-slots="3/3/0"' in row  # 1 imported + 1 accepted + 1 offer of 3: none free
    assert 'data-waiting="1"' in row
    assert 'data-account="none"' in row
    assert 'data-account="invited"' in row_of(page, "A-INVITED")
    assert 'data-slots="0/2/2"' in row_of(page, "A-IDLE")


def test_the_search_finds_name_email_firm_and_external_id_in_any_case(
    client, coordinator, factories
):
    f.AttorneyFactory(external_id="A-1", name="Dana Whitfield", email="dw@hale.example")
    f.AttorneyFactory(external_id="A-2", name="Omar Reyes", firm="Reyes 100% Pro Bono")
    f.AttorneyFactory(external_id="X-77", name="Lee Park")
    factories.commit()

    def found(q: str) -> list[str]:
        return sorted(listed(client.get("/attorneys", query_string={"q": q})))

    assert found("WHITFIELD") == ["A-1"]
    assert found("dw@HALE") == ["A-1"]
    assert found("reyes 100%") == ["A-2"]
    assert found("100%") == ["A-2"]  # % is taken literally
    assert found("_") == []  # and so is _
    assert found("x-77") == ["X-77"]
    page = client.get("/attorneys", query_string={"q": "nobody"})
    assert listed(page) == []
    assert "No attorney matching “nobody” meets these filters" in plain(text_of(page))


@pytest.mark.parametrize("q", ["Dana\x00Whitfield", "\x00", "x" * 201])
def test_a_search_with_a_nul_byte_or_too_long_is_refused_with_a_message(
    client, coordinator, factories, q
):
    f.AttorneyFactory(external_id="A-1", name="Dana Whitfield")
    factories.commit()

    page = client.get("/attorneys", query_string={"q": q})

    assert page.status_code == 200
    text = plain(text_of(page))
    assert "Some filters could not be used" in text
    assert "NUL" in text or "At most 200 characters" in text
    assert "\x00" not in page.get_data(as_text=True)


def test_the_filters_narrow_by_court_language_slots_account_and_profile(
    client, coordinator, factories
):
    f.AttorneyFactory(external_id="A-HOU", court_codes=("HOU",), capacity=1)
    full = f.AttorneyFactory(external_id="A-FULL", court_codes=("DAL",), capacity=1)
    offer(full, MatchStatus.CONFIRMED)
    f.AttorneyFactory(external_id="A-MAM", court_codes=("DAL",), language_levels={"mam": "working"})
    active_user = f.AttorneyFactory(external_id="A-SIGNED-IN", court_codes=("DAL",))
    f.UserFactory(role=Role.ATTORNEY, attorney=active_user, last_login_at=utcnow())
    gone = f.AttorneyFactory(external_id="A-GONE", court_codes=("DAL",), active=False)
    f.UserFactory(role=Role.ATTORNEY, attorney=gone, active=False)
    f.AttorneyFactory(
        external_id="A-PENDING",
        court_codes=("DAL",),
        active=False,
        volunteer_status=VolunteerStatus.PENDING,
    )
    f.AttorneyFactory(
        external_id="A-DECLINED",
        court_codes=("DAL",),
        active=False,
        volunteer_status=VolunteerStatus.DECLINED,
    )
    factories.commit()

    def found(**filters: str) -> list[str]:
        page = client.get("/attorneys", query_string=filters)
        assert page.status_code == 200
        return sorted(listed(page))

    assert found(court="HOU") == ["A-HOU"]
    assert found(language="mam") == ["A-MAM"]
    assert found(slots="full") == ["A-FULL"]
    assert "A-FULL" not in found(slots="free") and "A-HOU" in found(slots="free")
    assert found(account="active") == ["A-SIGNED-IN"]
    assert found(account="inactive") == ["A-GONE"]
    assert "A-HOU" in found(account="none")
    assert found(profile="pending") == ["A-PENDING"]
    assert found(profile="declined") == ["A-DECLINED"]
    assert found(profile="inactive") == ["A-GONE"]
    assert found(court="DAL", slots="full") == ["A-FULL"]
    page = client.get("/attorneys", query_string={"court": "NOPE\x00"})
    assert page.status_code == 200 and "Some filters could not be used" in text_of(page)


def test_the_list_pages_50_at_a_time_in_a_constant_number_of_queries(
    app, client, coordinator, factories
):
    for n in range(60):
        attorney = f.AttorneyFactory(external_id=f"A-{n:03d}", name=f"Attorney {n:03d}", capacity=1)
        if n % 3 == 0:
            offer(attorney, MatchStatus.CONFIRMED)
    factories.commit()

    with count_statements(factories) as first_statements:
        first = client.get("/attorneys")
    with count_statements(factories) as second_statements:
        second = client.get("/attorneys", query_string={"page": "2"})
    with count_statements(factories) as filtered_statements:
        filtered = client.get("/attorneys", query_string={"slots": "full", "q": "attorney"})

    assert listed(first) == [f"A-{n:03d}" for n in range(50)]
    assert "Showing 1–50 of 60 attorneys (page 1 of 2)" in plain(text_of(first))
    assert listed(second) == [f"A-{n:03d}" for n in range(50, 60)]
    assert 'rel="prev"' in text_of(second)
    assert listed(filtered) == [f"A-{n:03d}" for n in range(0, 60, 3)]
    # The same statements for 50 rows as for 10: nothing is read row by row.
    assert len(first_statements) == len(second_statements) == len(filtered_statements) <= 15


def test_the_empty_list_says_how_to_add_attorneys(client, coordinator):
    page = client.get("/attorneys")

    assert page.status_code == 200
    assert 'data-empty="attorneys"' in text_of(page)
    assert "No attorney profile yet" in text_of(page)


def test_the_navigation_links_the_attorney_list(client, coordinator):
    assert 'href="/attorneys"' in text_of(client.get("/"))


# --- one attorney ---------------------------------------------------------------------------


def test_the_attorney_page_shows_profile_load_proposals_offers_and_cases(
    client, coordinator, factories
):
    attorney = f.AttorneyFactory(
        external_id="A-DW",
        name="Dana Whitfield",
        capacity=4,
        imported_active_cases=1,
        language_levels={"spa": "native", "mam": "working"},
        court_codes=("HOU",),
        states=("TX", "LA"),
        expertise_levels={"asylum": "expert", "sijs": "mentored"},
        takes_detained=True,
        remote_ok=True,
        travel_radius_km=80,
        leave=[(days(30), days(40))],
    )
    f.MatchFactory(attorney=attorney, status=MatchStatus.PROPOSED)
    f.MatchFactory(attorney=attorney, status=MatchStatus.PROPOSED)
    waiting = offer(attorney, MatchStatus.CONFIRMED, offered_days_ago=3)
    declined = offer(
        attorney, MatchStatus.DECLINED, offered_days_ago=6, answered_at=utcnow() - timedelta(1)
    )
    expired = offer(attorney, MatchStatus.EXPIRED, offered_days_ago=8, answered_at=utcnow())
    accepted = offer(attorney, MatchStatus.ACCEPTED, answered_at=utcnow())
    closed = offer(
        attorney,
        MatchStatus.CLOSED,
        offered_days_ago=200,
        answered_at=utcnow() - timedelta(days=199),
        closed_at=utcnow() - timedelta(days=2),
        outcome=CaseOutcome.RELIEF_GRANTED,
    )
    factories.flush()
    factories.add(
        MatchEvent(
            match_id=declined.id,
            from_status=MatchStatus.CONFIRMED,
            to_status=MatchStatus.DECLINED,
            reason="Conflict with a current client",
        )
    )
    factories.commit()

    page = client.get(f"/attorneys/{attorney.id}")

    assert page.status_code == 200
    text = text_of(page)
    assert "<h1>Dana Whitfield</h1>" in text
    assert "Spanish (native), Mam (working)" in plain(text)
    assert "LA, TX" in text
    assert "asylum (expert), SIJS (mentored)" in plain(text)
    assert "Takes detained cases" in text and "Accepts remote hearings" in text
    assert "80 km" in text
    assert f"{days(30).isoformat()} to {days(40).isoformat()}" in text
    # load: 1 imported + 1 accepted + 1 offer of 4
    assert 'data-load="3/4/1"' in text
    assert '<span data-count="proposals">2</span>' in text
    assert 'href="/review?attorney=A-DW"' in text
    waiting_row = text[text.index(f'data-offer="{waiting.id}"') :]
    assert 'data-age="3"' in waiting_row[:2000]
    deadline = (waiting.offered_at + timedelta(days=5)).strftime("%Y-%m-%d %H:%M")
    assert deadline in waiting_row[:2000]
    assert f'data-offer="{declined.id}" data-status="declined"' in text
    assert "Conflict with a current client" in text
    assert f'data-offer="{expired.id}" data-status="expired"' in text
    assert f'data-offer="{accepted.id}" data-status="accepted"' in text
    assert f'data-offer="{closed.id}" data-status="closed"' in text
    assert "relief granted" in text
    assert f'href="/children/{waiting.child_id}"' in text
    assert f'href="/attorneys/{attorney.id}/profile">Edit the profile</a>' in text
    assert f'action="/attorneys/{attorney.id}/invite"' in text


def test_the_attorney_page_tells_an_attorney_on_leave_has_no_free_slot(
    client, coordinator, factories
):
    attorney = f.AttorneyFactory(capacity=2, leave=[(days(-1), days(5))])
    factories.commit()

    text = text_of(client.get(f"/attorneys/{attorney.id}"))

    assert 'data-load="0/2/0"' in text and "(on leave today)" in text
    assert "No offer awaits" in text and "No case accepted" in text


@pytest.mark.parametrize("attorney_id", ["99999", "99999999999999999999", "2147483648"])
def test_an_unknown_attorney_is_not_found(client, coordinator, attorney_id):
    assert client.get(f"/attorneys/{attorney_id}").status_code == 404


# --- the review queue by attorney -----------------------------------------------------------


def test_the_review_queue_can_show_one_attorneys_proposals(client, coordinator, factories):
    mine = f.AttorneyFactory(external_id="A-MINE", name="Dana Whitfield")
    f.MatchFactory(attorney=mine, child=f.ChildFactory(external_id="C-MINE"))
    f.MatchFactory(child=f.ChildFactory(external_id="C-OTHER"))
    factories.commit()

    page = client.get("/review", query_string={"attorney": "A-MINE"})

    assert page.status_code == 200
    children = re.findall(r'<tr data-match="\d+" data-child="([^"]+)"', text_of(page))
    assert children == ["C-MINE"]
    assert 'data-attorney-filter="found"' in text_of(page)
    assert f'href="/attorneys/{mine.id}"' in text_of(page)


@pytest.mark.parametrize("asked", ["A-NOBODY", "A\x00B", "x" * 300])
def test_an_unknown_attorney_in_the_review_filter_shows_nothing_with_a_message(
    client, coordinator, factories, asked
):
    f.MatchFactory(child=f.ChildFactory(external_id="C-OTHER"))
    factories.commit()

    page = client.get("/review", query_string={"attorney": asked})

    assert page.status_code == 200
    text = text_of(page)
    assert 'data-child="C-OTHER"' not in text
    assert 'data-attorney-filter="unknown"' in text
    assert "No attorney has the external id" in text


def test_nul_bytes_in_the_review_filters_are_refused_not_a_server_error(
    client, coordinator, factories
):
    f.MatchFactory(child=f.ChildFactory(external_id="C-OTHER"))
    factories.commit()

    page = client.get("/review", query_string={"court": "HOU\x00", "language": "\x00spa"})

    assert page.status_code == 200
    assert "Not a valid choice" in text_of(page)


# --- the child page's offers ----------------------------------------------------------------


def test_the_child_page_lists_the_offers_with_their_age_and_reasons(client, coordinator, factories):
    child = f.ChildFactory()
    declined = offer(
        f.AttorneyFactory(name="Omar Reyes"),
        MatchStatus.DECLINED,
        child=child,
        offered_days_ago=9,
        answered_at=utcnow() - timedelta(days=8),
    )
    offer(
        f.AttorneyFactory(name="Lee Park"),
        MatchStatus.EXPIRED,
        child=child,
        offered_days_ago=7,
        answered_at=utcnow() - timedelta(days=2),
    )
    waiting = offer(
        f.AttorneyFactory(name="Dana Whitfield"),
        MatchStatus.CONFIRMED,
        child=child,
        offered_days_ago=2,
    )
    factories.flush()
    factories.add(
        MatchEvent(
            match_id=declined.id,
            from_status=MatchStatus.CONFIRMED,
            to_status=MatchStatus.DECLINED,
            reason="Too far from the court",
        )
    )
    factories.commit()

    text = text_of(client.get(f"/children/{child.id}"))

    section = text[text.index('id="offers-heading"') : text.index('id="timeline-heading"')]
    statuses = re.findall(r'data-status="(\w+)"', section)
    assert statuses == ["confirmed", "expired", "declined"]  # newest offer first
    assert "Dana Whitfield" in section and 'data-age="2"' in section
    assert (waiting.offered_at + timedelta(days=5)).strftime("%Y-%m-%d %H:%M") in section
    assert "Expired unanswered" in section and "Lee Park" in section
    assert "Too far from the court" in section
    assert f'href="/attorneys/{waiting.attorney_id}"' in section


def test_the_child_page_says_when_no_offer_was_made(client, coordinator, factories):
    child = f.ChildFactory()
    factories.commit()

    assert "No attorney has been offered this case yet" in text_of(
        client.get(f"/children/{child.id}")
    )
