"""The matching engine alone on demo data: solve, prove, explain; against the greedy baseline.

    python -m bench.engine --children 50000 --attorneys 10000 [--seed 1] [--time-limit 120]

The problem is built from fixtures.demo rows without a database (bench.problem_from_demo).
Targets (DESIGN.md): 50,000 x 10,000 (3M-15M eligible pairs) proven optimal in under 20 s and
4 GB on 2 cores; at least 10% more fit than the greedy baseline and never fewer T1, or T1-T2,
children matched.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date

from bench.common import attorneys_asked, cpu_model, demo_size_parser, peak_rss_mb
from bench.problem_from_demo import problem_from_demo
from fixtures.demo import generate
from matcher import greedy_baseline, solve
from matcher.result import MatchResult
from matcher.rules import Tier
from matcher.solve import DEFAULT_TIME_LIMIT_S

AS_OF = date(2026, 11, 27)
TARGET_PAIRS = (3_000_000, 15_000_000)


def cumulative(per_tier: Mapping[Tier, int]) -> list[int]:
    """Matched in T1, T1-T2, T1-T3, all: what the strict priority compares."""
    running, result = 0, []
    for tier in Tier:
        running += per_tier[tier]
        result.append(running)
    return result


def tiers(per_tier: Mapping[Tier, int]) -> str:
    return " ".join(f"T{int(tier)} {per_tier[tier]:,}" for tier in Tier)


def report(result: MatchResult, baseline: MatchResult, total_s: float) -> None:
    timings = "  ".join(f"{stage} {seconds:.2f}" for stage, seconds in result.timings_s.items())
    print(f"  eligible pairs {result.eligible_pairs:,}")
    print(f"  engine total {total_s:.2f} s; stages (s): {timings}")
    print(f"  peak RSS {peak_rss_mb():,.0f} MB (whole process, data generation included)")
    print(
        f"  status {result.status.value}, objective {result.objective:,.2f}, "
        f"bound {result.bound:,.2f}, gap {result.gap:.3g}"
    )
    print(f"  optimiser matched {tiers(result.matched_per_tier)}; fit {result.total_fit:,.2f}")
    print(f"  greedy matched    {tiers(baseline.matched_per_tier)}; fit {baseline.total_fit:,.2f}")
    assert result.children_per_tier is not None
    print(f"  children          {tiers(result.children_per_tier)}")
    ours, theirs = cumulative(result.matched_per_tier), cumulative(baseline.matched_per_tier)
    print(f"  matched T1 / T1-T2 / T1-T3 / all: optimiser {ours}, greedy {theirs}")
    ratio = result.total_fit / baseline.total_fit if baseline.total_fit else float("inf")
    print(f"  fit ratio optimiser / greedy {ratio:.3f} ({100 * (ratio - 1):+.1f}%)")
    counts_proven = result.bound_matched_per_tier == result.matched_per_tier
    fit_gap = (result.bound or 0.0) - result.objective
    print(f"  bound minus objective {fit_gap:,.2f} points", end="")
    print(" (the tier counts equal the bound's: the gap is fit only)" if counts_proven else "")
    verdicts = [
        ("T1 and T1-T2 never fewer than greedy", ours[0] >= theirs[0] and ours[1] >= theirs[1]),
        ("fit at least 10% above greedy", ratio >= 1.10),
        ("matched per tier proven best (lexicographic counts)", counts_proven),
        ("proven optimal", result.status.value == "optimal"),
    ]
    for text, holds in verdicts:
        print(f"  {'ok  ' if holds else 'MISS'} {text}")


def main() -> None:
    parser = demo_size_parser(__doc__.splitlines()[0], children=5_000)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        help=f"seconds (default {DEFAULT_TIME_LIMIT_S:g}, as the solver time limit setting)",
    )
    args = parser.parse_args()
    attorneys = attorneys_asked(args)
    print(f"machine: {cpu_model()}")
    started = time.perf_counter()
    data = generate(children=args.children, attorneys=attorneys, seed=args.seed, as_of=AS_OF)
    problem = problem_from_demo(data, AS_OF)
    print(
        f"{args.children:,} children x {attorneys:,} attorneys (seed {args.seed}, as of "
        f"{AS_OF}): demo data and problem built in {time.perf_counter() - started:.2f} s"
    )
    started = time.perf_counter()
    result = solve(problem, time_limit_s=args.time_limit)
    total_s = time.perf_counter() - started
    baseline = greedy_baseline(problem)
    report(result, baseline, total_s)
    low, high = TARGET_PAIRS
    if args.children == 50_000 and not low <= result.eligible_pairs <= high:
        print(
            f"  note: {result.eligible_pairs:,} eligible pairs is outside the {low:,}-{high:,} "
            "range DESIGN.md expects at this size"
        )


if __name__ == "__main__":
    main()
