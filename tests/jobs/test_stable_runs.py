"""Stable proposals across runs on a realistic database: children imported between two runs move
few of the proposals awaiting review, and never at the cost of a tier count."""

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from fixtures.demo import csv_text, generate, more_children
from jobs.matching import run_match
from matcher import solve
from models import Match, MatchStatus
from models.csv_formats import CsvKind
from models.engine_adapter import load_problem
from models.imports import import_csv
from models.settings import STABILITY_BONUS_KEY, put_setting
from tests.matcher.oracle import broken_rules, check_rules

AS_OF = date(2026, 11, 27)
CHILDREN = 300


@pytest.fixture
def demo_db(db):
    data = generate(children=CHILDREN, attorneys=60, seed=7, as_of=AS_OF)
    with db.session() as session, session.begin():
        for kind, rows in (
            (CsvKind.CHILDREN, data.children),
            (CsvKind.ATTORNEYS, data.attorneys),
            (CsvKind.CONFLICTS, data.conflicts),
        ):
            import_csv(session, kind, csv_text(kind, rows).encode(), actor="test")
    return db


def _import_more_children(db, count: int) -> None:
    rows = more_children(count, after=CHILDREN, seed=7, as_of=AS_OF)
    with db.session() as session, session.begin():
        import_csv(
            session, CsvKind.CHILDREN, csv_text(CsvKind.CHILDREN, rows).encode(), actor="test"
        )


def _proposed(db, run_id: int) -> dict[int, Match]:
    with db.session() as session:
        matches = session.scalars(select(Match).where(Match.run_id == run_id)).all()
    return {m.child_id: m for m in matches}


def test_a_run_after_an_import_keeps_the_proposals_awaiting_review(demo_db):
    first = run_match(demo_db, as_of=AS_OF, trigger="command")
    before = _proposed(demo_db, first.run_id)
    _import_more_children(demo_db, 9)  # 3% more children
    with demo_db.session() as session:
        problem = load_problem(session, AS_OF)
    assert problem.stability_bonus == 5.0
    assert {(p.child_id, p.attorney_id, p.run_id) for p in problem.previous} == {
        (m.child_id, m.attorney_id, first.run_id) for m in before.values()
    }

    second = run_match(demo_db, as_of=AS_OF, trigger="command")

    check_rules(problem, second.result)
    without_bonus = solve(dataclasses.replace(problem, previous=(), stability_bonus=0.0))
    assert second.result.matched_per_tier == without_bonus.matched_per_tier
    after = _proposed(demo_db, second.run_id)
    children = {c.id: c for c in problem.children}
    attorneys = {a.id: a for a in problem.attorneys}
    still_eligible = [
        m
        for m in before.values()
        if not broken_rules(problem, children[m.child_id], attorneys[m.attorney_id])
    ]
    unchanged = [
        m
        for m in still_eligible
        if m.child_id in after and after[m.child_id].attorney_id == m.attorney_id
    ]
    assert len(still_eligible) == len(before) > 50
    assert len(unchanged) >= 0.9 * len(still_eligible)
    for m in unchanged:
        kept = after[m.child_id]
        assert kept.status == MatchStatus.PROPOSED
        assert kept.score_parts["kept"] == 5.0
        assert kept.explanation.endswith(f"; kept from run {first.run_id}")
    new_pairs = [
        m
        for m in after.values()
        if before.get(m.child_id) is None or before[m.child_id].attorney_id != m.attorney_id
    ]
    assert all("kept" not in m.score_parts for m in new_pairs)


def test_a_bonus_of_zero_turns_stable_proposals_off(demo_db):
    first = run_match(demo_db, as_of=AS_OF, trigger="command")
    with demo_db.session() as session, session.begin():
        put_setting(session, STABILITY_BONUS_KEY, 0)
    _import_more_children(demo_db, 9)

    second = run_match(demo_db, as_of=AS_OF, trigger="command")

    assert first.run_id != second.run_id
    after = _proposed(demo_db, second.run_id)
    assert after and all("kept" not in m.score_parts for m in after.values())
    assert not any("kept from run" in m.explanation for m in after.values())
