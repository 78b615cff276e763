"""The whole nightly run on SQLite: load from the database, solve, compare, save.

    python -m bench.nightly_run --children 50000 --attorneys 10000 [--seed 1]

Demo data (fixtures.demo) is imported into a fresh SQLite database first (not timed); then one
`jobs.matching.run_match` is timed end to end, stage by stage, as the nightly job runs it.
Targets (DESIGN.md): under 5 s at 5,000 x 1,000; under 60 s at 50,000 x 10,000.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import attorneys_asked, cpu_model, demo_size_parser, peak_rss_mb
from fixtures.demo import csv_text, generate
from jobs.matching import run_match
from models.csv_formats import CsvKind
from models.db import Database, migrate
from models.entities import MatchRun
from models.imports import import_csv
from models.reference import load_reference_data

AS_OF = date(2026, 11, 27)


def load_demo(database: Database, children: int, attorneys: int, seed: int) -> None:
    data = generate(children=children, attorneys=attorneys, seed=seed, as_of=AS_OF)
    migrate(database.engine)
    with database.session() as session, session.begin():
        load_reference_data(session)
        for kind, rows in (
            (CsvKind.ATTORNEYS, data.attorneys),
            (CsvKind.CHILDREN, data.children),
            (CsvKind.CONFLICTS, data.conflicts),
        ):
            import_csv(session, kind, csv_text(kind, rows).encode(), actor="bench")


def main() -> None:
    args = demo_size_parser(__doc__.splitlines()[0], children=5_000).parse_args()
    attorneys = attorneys_asked(args)
    print(f"machine: {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="counselmatch-bench-") as work:
        database = Database("sqlite:///" + str(Path(work) / "bench.sqlite3"))
        load_demo(database, args.children, attorneys, args.seed)
        started = time.perf_counter()
        outcome = run_match(database, as_of=AS_OF, trigger="command")
        total_s = time.perf_counter() - started
        with database.session() as session:
            run_timings = session.get_one(MatchRun, outcome.run_id).timings
        database.dispose()
    result, baseline = outcome.result, outcome.baseline
    timings = "  ".join(f"{stage} {seconds:.2f}" for stage, seconds in result.timings_s.items())
    print(
        f"{args.children} x {attorneys}: whole run {total_s:.2f} s, peak {peak_rss_mb():.0f} MB, "
        f"{result.eligible_pairs:,} eligible pairs, status {result.status.value}, gap {result.gap}"
    )
    print(f"  engine stages (s): {timings}")
    print("  run stages (s): " + "  ".join(f"{k} {v:.2f}" for k, v in run_timings.items()))
    print(f"  matched per tier {dict(result.matched_per_tier)}, fit {result.total_fit:,.1f}")
    print(f"  greedy per tier  {dict(baseline.matched_per_tier)}, fit {baseline.total_fit:,.1f}")
    assert outcome.saved is not None
    print(f"  saved {outcome.saved.proposed} proposals")


if __name__ == "__main__":
    main()
