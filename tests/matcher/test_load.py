"""The convex load-balancing cost: each further case on one attorney costs more."""

from __future__ import annotations

from matcher.problem import MatchSettings

from .builders import attorney, child, pairs, problem, solved


def test_cases_spread_over_attorneys_when_fit_is_equal() -> None:
    result = solved(problem([child(1), child(2)], [attorney(10, free=2), attorney(11, free=2)]))
    assert sorted(pairs(result).values()) == [10, 11]
    assert result.total_fit == 120.0


def test_an_attorney_carrying_cases_is_spared() -> None:
    result = solved(problem([child(1)], [attorney(10, load=3), attorney(11, load=0)]))
    assert pairs(result) == {1: 11}
    assert result.proposals[0].score_parts["load"] == 0.0


def test_each_further_case_costs_more() -> None:
    """Steps cost 2 x (cases carried before): attorney 10 (carrying 0) 0, 2, 4; attorney 11
    (carrying 1) 2, 4, 6. Three children: two to 10 and one to 11, load 0 + 2 + 2."""
    children = [child(1), child(2), child(3)]
    result = solved(problem(children, [attorney(10, free=3), attorney(11, free=3, load=1)]))
    assert pairs(result) == {1: 10, 2: 10, 3: 11}
    assert {p.child_id: p.score_parts["load"] for p in result.proposals} == {
        1: 0.0,
        2: -2.0,
        3: -2.0,
    }
    assert result.total_fit == 3 * 60.0 - 4.0
    assert "2nd new case for this attorney (carries 0)" in result.proposals[1].why


def test_load_weight_is_a_setting() -> None:
    settings = MatchSettings(load_per_case=10.0)
    children = [child(1), child(2)]
    lawyers = [attorney(10, free=2), attorney(11, free=2, load=2)]
    result = solved(problem(children, lawyers, settings=settings))
    # the second case at 10 costs 10, the first at 11 (carrying 2) costs 20
    assert pairs(result) == {1: 10, 2: 10}
    assert result.total_fit == 2 * 60.0 - 10.0
