"""Stable proposals: how many of yesterday's proposals a night's changes move.

    python -m bench.stability --children 5000 --attorneys 1000 [--seed 1]

Demo data (fixtures.demo, straight into a MatchProblem: bench.problem_from_demo) is solved once;
its proposals are the ones awaiting review. Then, for each change (1%, 5%, 10% more children, as a
later import adds them; 5% of attorneys with one place more or less), the problem is solved again
with those proposals and the stability bonus (the setting's default) and without them.
Figures: the share of still-eligible proposals unchanged (with the bonus, and without it for
comparison), whether the tier counts equal the optimum without the bonus, and the fit (bonus
left out) against the fit of that optimum.
Targets (issue 12): 1% more children: at least 90% unchanged, the same tier counts, fit within 1%.
"""

from __future__ import annotations

import dataclasses
import random
import time
from datetime import date

from bench.common import attorneys_asked, cpu_model, demo_size_parser
from bench.problem_from_demo import problem_from_demo
from fixtures.demo import DemoData, generate, more_children
from matcher import PairJudge, PreviousProposal, solve
from matcher.problem import MatchProblem
from matcher.result import MatchResult
from models.settings import DEFAULT_STABILITY_BONUS

AS_OF = date(2026, 11, 27)
MORE_CHILDREN_PERCENT = (1, 5, 10)
CAPACITY_CHANGE_PERCENT = 5
# The run that made the proposals awaiting review (any number: it only names them).
FIRST_RUN_ID = 1


def with_more_children(data: DemoData, percent: int, seed: int) -> DemoData:
    count = len(data.children) * percent // 100
    extra = more_children(count, after=len(data.children), seed=seed, as_of=AS_OF)
    return dataclasses.replace(data, children=data.children + extra)


def with_capacity_changes(data: DemoData, percent: int, seed: int) -> DemoData:
    """`percent` of the attorneys, drawn at random, with one place more or (if they have a free
    one) one place less."""
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(data.attorneys)), len(data.attorneys) * percent // 100))
    attorneys = []
    for number, row in enumerate(data.attorneys):
        if number in chosen:
            capacity, active = int(row["capacity"]), int(row["active_cases"])
            step = -1 if capacity > active and rng.random() < 0.5 else 1
            row = {**row, "capacity": str(capacity + step)}
        attorneys.append(row)
    return dataclasses.replace(data, attorneys=attorneys)


def fit_without_bonus(result: MatchResult) -> float:
    return sum(p.score - p.score_parts.get("kept", 0.0) for p in result.proposals)


def unchanged_share(previous: dict[int, int], result: MatchResult, eligible: list[int]) -> float:
    placed = {p.child_id: p.attorney_id for p in result.proposals}
    same = sum(1 for child in eligible if placed.get(child) == previous[child])
    return same / len(eligible) if eligible else 1.0


def compare(name: str, problem: MatchProblem, previous: dict[int, int], bonus: float) -> bool:
    """Solves with and without the previous proposals; prints one line; whether the tier counts
    are the same and the fit within 1%."""
    judge = PairJudge(problem)
    children = {c.id for c in problem.children}
    eligible = [
        c for c, a in sorted(previous.items()) if c in children and not judge.failures(c, a)
    ]
    stable = dataclasses.replace(
        problem,
        previous=tuple(PreviousProposal(c, a, FIRST_RUN_ID) for c, a in sorted(previous.items())),
        stability_bonus=bonus,
    )
    started = time.perf_counter()
    kept = solve(stable)
    kept_s = time.perf_counter() - started
    fresh = solve(problem)
    same_tiers = kept.matched_per_tier == fresh.matched_per_tier
    fit_ratio = fit_without_bonus(kept) / fresh.total_fit if fresh.total_fit else 1.0
    print(
        f"  {name:<28} still eligible {len(eligible):>5,} of {len(previous):,}; unchanged "
        f"{100 * unchanged_share(previous, kept, eligible):5.1f}% (without the bonus "
        f"{100 * unchanged_share(previous, fresh, eligible):5.1f}%); tier counts "
        f"{'= optimum' if same_tiers else 'DIFFER'}; fit {100 * (fit_ratio - 1):+.2f}% "
        f"of the optimum; {kept.status.value}, {kept_s:.1f} s"
    )
    return same_tiers and fit_ratio >= 0.99


def main() -> None:
    args = demo_size_parser(__doc__.splitlines()[0], children=5_000).parse_args()
    attorneys = attorneys_asked(args)
    print(f"machine: {cpu_model()}")
    data = generate(children=args.children, attorneys=attorneys, seed=args.seed, as_of=AS_OF)
    first = solve(problem_from_demo(data, AS_OF))
    previous = {p.child_id: p.attorney_id for p in first.proposals}
    bonus = DEFAULT_STABILITY_BONUS
    print(
        f"{args.children:,} x {attorneys:,}: {len(previous):,} proposals awaiting review; "
        f"bonus {bonus:g} points"
    )
    changes = [
        (f"{percent}% more children", with_more_children(data, percent, args.seed))
        for percent in MORE_CHILDREN_PERCENT
    ]
    changes.append(
        (
            f"{CAPACITY_CHANGE_PERCENT}% attorneys' capacity",
            with_capacity_changes(data, CAPACITY_CHANGE_PERCENT, args.seed),
        )
    )
    for name, changed in changes:
        compare(name, problem_from_demo(changed, AS_OF), previous, bonus)


if __name__ == "__main__":
    main()
