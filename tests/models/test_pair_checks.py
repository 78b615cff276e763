"""Judging a pair now (models/pair_checks.py): the records' state, then the engine's rules in
their one order, phrased for coordinators; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixtures import factories as f
from models.base import utcnow
from models.entities import MatchStatus
from models.pair_checks import Rule, check_pair, check_pairs, eligible_attorneys
from tests.conftest import days


def test_a_pair_failing_several_rules_lists_them_in_the_rule_order(factories):
    child = f.ChildFactory(language_code="mam")
    attorney = f.AttorneyFactory(
        court_codes=["NYC"], travel_radius_km=0, capacity=0, leave=[(days(-2), days(3))]
    )
    f.ConflictFactory(child=child, attorney=attorney)
    factories.commit()

    check = check_pair(factories, child.id, attorney.id)

    assert not check.eligible and check.proposal is None
    assert [broken.rule for broken in check.broken] == [
        Rule.COURT,
        Rule.LANGUAGE,
        Rule.ON_LEAVE,
        Rule.CONFLICT,
        Rule.NO_FREE_SLOT,
    ]
    messages = [broken.message for broken in check.broken]
    assert messages[0].startswith(f"attorney {attorney.name} does not serve court HOU")
    assert messages[2] == (
        f"attorney {attorney.name} is on leave on {days(0).isoformat()} "
        f"({days(-2).isoformat()} to {days(3).isoformat()})"
    )
    assert all(broken.overridable for broken in check.broken)


def test_an_eligible_pair_carries_the_engines_proposal(factories):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    factories.commit()

    check = check_pair(factories, child.id, attorney.id)

    assert check.eligible and check.broken == ()
    assert check.proposal is not None and check.proposal.attorney_id == attorney.id
    assert check.proposal.score == sum(check.proposal.score_parts.values())


def test_an_inactive_attorney_is_the_records_state_not_a_rule(factories):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory(active=False)
    factories.commit()

    check = check_pair(factories, child.id, attorney.id)

    assert [broken.rule for broken in check.broken] == [Rule.ATTORNEY_INACTIVE]
    assert not check.broken[0].overridable


def test_unknown_attorneys_are_left_out_or_named(factories):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    factories.commit()

    assert set(check_pairs(factories, child.id, [attorney.id, attorney.id + 999])) == {attorney.id}
    with pytest.raises(LookupError, match=f"There is no attorney {attorney.id + 999}"):
        check_pair(factories, child.id, attorney.id + 999)


def test_eligible_attorneys_are_those_the_engine_would_pair_best_fit_first(factories):
    child = f.ChildFactory()
    fluent = f.AttorneyFactory()
    native = f.AttorneyFactory(language_levels={"spa": "native"})
    f.AttorneyFactory(capacity=0)  # full
    f.AttorneyFactory(leave=[(days(-1), days(1))])
    f.AttorneyFactory(court_codes=["NYC"])
    f.ConflictFactory(child=child)
    f.AttorneyFactory(language_levels={"eng": "native"})  # an interpreter: Spanish, lower fit
    factories.commit()

    found = eligible_attorneys(factories, child.id)

    ids = [e.attorney_id for e in found]
    assert ids[:2] == [native.id, fluent.id]
    assert len(ids) == 3
    scores = [e.proposal.score for e in found]
    assert scores == sorted(scores, reverse=True)


def test_a_refusal_quotes_the_match_that_still_refuses_the_pair(factories):
    child = f.ChildFactory()
    attorney = f.AttorneyFactory()
    f.MatchFactory(
        child=child, attorney=attorney, status=MatchStatus.REJECTED, reason="Attorney unsuitable"
    )
    long_ago = utcnow() - timedelta(days=400)
    f.MatchFactory(  # a later offer that expired long ago: it no longer keeps the pair apart
        child=child,
        attorney=attorney,
        status=MatchStatus.EXPIRED,
        answered_at=long_ago,
        updated_at=long_ago,
    )
    factories.commit()

    [broken] = check_pair(factories, child.id, attorney.id).broken

    assert broken.rule == Rule.REFUSED_BEFORE
    assert broken.message.startswith("this pair was rejected earlier by a coordinator on ")
    assert broken.message.endswith("(Attorney unsuitable)")
