"""The same data in any order gives the same proposals and the same explanations."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import greedy_baseline, solve
from matcher.problem import AttorneyInput, MatchProblem
from matcher.result import MatchResult

from .strategies import CROWDED, VARIED, problems


def _shuffled(problem: MatchProblem, data: st.DataObject) -> MatchProblem:
    def reorder(attorney: AttorneyInput) -> AttorneyInput:
        return dataclasses.replace(
            attorney,
            languages=tuple(data.draw(st.permutations(attorney.languages))),
            court_ids=tuple(data.draw(st.permutations(attorney.court_ids))),
            states_admitted=tuple(data.draw(st.permutations(attorney.states_admitted))),
            expertise=tuple(data.draw(st.permutations(attorney.expertise))),
        )

    return dataclasses.replace(
        problem,
        courts=tuple(data.draw(st.permutations(problem.courts))),
        children=tuple(data.draw(st.permutations(problem.children))),
        attorneys=tuple(reorder(a) for a in data.draw(st.permutations(problem.attorneys))),
    )


def _answer(result: MatchResult) -> tuple[object, ...]:
    return (
        result.status,
        result.proposals,
        result.unmatched,
        result.objective,
        result.bound,
        result.matched_per_tier,
    )


@settings(max_examples=60, deadline=None)
@given(st.one_of(problems(VARIED, 14, 5), problems(CROWDED, 14, 5)), st.data())
def test_input_order_does_not_change_the_answer(problem: MatchProblem, data: st.DataObject) -> None:
    shuffled = _shuffled(problem, data)
    assert _answer(solve(shuffled)) == _answer(solve(problem))
    assert _answer(solve(shuffled, full_model_max_pairs=0)) == _answer(
        solve(problem, full_model_max_pairs=0)
    )
    assert _answer(greedy_baseline(shuffled)) == _answer(greedy_baseline(problem))
