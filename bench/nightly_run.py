"""The whole nightly run: load from the database, solve, compare, save; night after night.

    python -m bench.nightly_run --children 50000 --attorneys 10000 [--seed 1] [--nights 2]
        [--database-url URL | $BENCH_DATABASE_URL] [--reuse] [--sqlite]

Demo data (fixtures.demo) is imported into a fresh database first (not timed, in a process of its
own: the peak memory reported is the runs'): a temporary
SQLite file, or the PostgreSQL database --database-url or BENCH_DATABASE_URL names (its public
schema dropped first); --reuse runs on that database as it is. Then `--nights` runs of
`jobs.matching.run_match` are timed end to end, stage by stage, as the nightly job runs them: the
second night replaces the first night's proposals awaiting review. While each run works, a
coordinator in another process (as a web worker) confirms a proposal every half second through
models.decisions (as the review page does), and the longest any confirmation waited is
reported: the save must not block decisions for more than a moment.
Targets (DESIGN.md): under 5 s at 5,000 x 1,000; under 20 s and 1 GB at 50,000 x 10,000; under
60 s and 2 GB at 250,000 x 50,000 on PostgreSQL; tier counts proven optimal.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import tempfile
import time
from datetime import date
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    attorneys_asked,
    cpu_model,
    demo_size_parser,
    peak_rss_mb,
    reset_postgres,
)
from fixtures.demo import csv_text, generate
from jobs.matching import run_match
from models.accounts import secret_hash
from models.csv_formats import CsvKind
from models.db import Database, migrate
from models.decisions import confirm
from models.entities import Match, MatchRun, MatchStatus, Role, User
from models.imports import import_csv
from models.pair_checks import DecisionRefused
from models.reference import load_reference_data

AS_OF = date(2026, 11, 27)
CONFIRM_EVERY_S = 0.5
BENCH_COORDINATOR = "bench-coordinator@bench.test"


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


def load_demo_at(url: str, children: int, attorneys: int, seed: int) -> None:
    database = Database(url)
    load_demo(database, children, attorneys, seed)
    database.dispose()


def bench_coordinator(database: Database) -> int:
    """The id of the bench's coordinator account, made on first use."""
    with database.session() as session, session.begin():
        user = session.scalar(select(User).where(User.email == BENCH_COORDINATOR))
        if user is None:
            user = User(
                email=BENCH_COORDINATOR,
                password_hash=secret_hash(os.urandom(16).hex()),
                role=Role.COORDINATOR,
            )
            session.add(user)
            session.flush()
        return user.id


def coordinate(url: str, seed: int, stop: Event, results: Queue) -> None:  # type: ignore[type-arg]
    """Confirm a random proposal awaiting review every CONFIRM_EVERY_S until `stop`, then put
    (start time, seconds) of each decision and the refusals on `results`. Runs in a process of
    its own, as a web worker does: in the run's process the solver's native code holds the
    interpreter lock for seconds at a time, which would be timed as waiting."""
    database = Database(url)
    user_id = bench_coordinator(database)
    rng = random.Random(seed)
    decisions: list[tuple[float, float]] = []
    refused = 0
    while not stop.wait(CONFIRM_EVERY_S):
        with database.session() as session, session.begin():
            proposed = session.scalar(
                select(func.count()).where(Match.status == MatchStatus.PROPOSED)
            )
            match_id = (
                session.scalar(
                    select(Match.id)
                    .where(Match.status == MatchStatus.PROPOSED)
                    .order_by(Match.id)
                    .offset(rng.randrange(proposed))
                    .limit(1)
                )
                if proposed
                else None
            )
        if match_id is None:
            continue
        started, clock = time.time(), time.perf_counter()
        try:
            with database.session() as session, session.begin():
                confirm(session, match_id, session.get_one(User, user_id), AS_OF)
        except (DecisionRefused, LookupError):
            refused += 1  # replaced or decided meanwhile: still a decision's wait
        decisions.append((started, time.perf_counter() - clock))
    database.dispose()
    results.put((decisions, refused))


def one_night(database: Database, night: int, seed: int) -> None:
    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    url = database.engine.url.render_as_string(hide_password=False)
    coordinator = context.Process(target=coordinate, args=(url, seed + night, stop, results))
    coordinator.start()
    started, wall = time.perf_counter(), time.time()
    try:
        outcome = run_match(database, as_of=AS_OF, trigger="command")
    finally:
        stop.set()
        decisions, refused = results.get()
        coordinator.join()
    total_s = time.perf_counter() - started
    with database.session() as session:
        run_timings = session.get_one(MatchRun, outcome.run_id).timings
    result, baseline = outcome.result, outcome.baseline
    assert outcome.saved is not None
    counts_proven = result.bound_matched_per_tier == result.matched_per_tier
    print(
        f"night {night}: whole run {total_s:.2f} s, peak {peak_rss_mb():,.0f} MB, "
        f"{result.eligible_pairs:,} eligible pairs, status {result.status.value}, "
        f"tier counts {'proven optimal' if counts_proven else 'NOT proven'}, gap {result.gap:.3g}"
    )
    print("  run stages (s): " + "  ".join(f"{k} {v:.2f}" for k, v in run_timings.items()))
    print(f"  matched per tier {dict(result.matched_per_tier)}, fit {result.total_fit:,.1f}")
    print(f"  bound per tier   {dict(result.bound_matched_per_tier or {})}")
    print(f"  greedy per tier  {dict(baseline.matched_per_tier)}, fit {baseline.total_fit:,.1f}")
    saved = outcome.saved
    print(
        f"  saved {saved.proposed:,} proposals, replaced {saved.superseded:,}, "
        f"dropped {saved.dropped:,} decided while solving"
    )
    if decisions:
        waits = [seconds for _, seconds in decisions]
        longest_began, longest = max(decisions, key=lambda decision: decision[1])
        print(
            f"  a coordinator's confirmations during the run (another process): {len(waits)} "
            f"({refused} refused as already decided/replaced), median "
            f"{statistics.median(waits) * 1000:.0f} ms, longest {longest * 1000:.0f} ms "
            f"(begun {longest_began - wall:.1f} s into the run)"
        )


def main() -> None:
    parser = demo_size_parser(__doc__.splitlines()[0], children=5_000)
    parser.add_argument("--nights", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--reuse", action="store_true", help="run on --database-url as it is, loading nothing"
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="a fresh SQLite file even if a URL is set"
    )
    args = parser.parse_args()
    if args.sqlite:
        args.database_url = None
    attorneys = attorneys_asked(args)
    print(f"machine: {len(os.sched_getaffinity(0))} cores, {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="counselmatch-bench-") as work:
        url = args.database_url or "sqlite:///" + str(Path(work) / "bench.sqlite3")
        if args.reuse and not args.database_url:
            parser.error("--reuse needs --database-url (or BENCH_DATABASE_URL)")
        database = Database(url)
        backend = database.engine.dialect.name
        if not args.reuse:
            if backend == "postgresql":
                reset_postgres(database)
            started = time.perf_counter()
            # In a process of its own, so that the peak memory reported is the runs' own.
            loader = multiprocessing.get_context("spawn").Process(
                target=load_demo_at, args=(url, args.children, attorneys, args.seed)
            )
            loader.start()
            loader.join()
            if loader.exitcode != 0:
                raise SystemExit(f"loading the demo data failed (exit code {loader.exitcode})")
            print(
                f"{args.children:,} x {attorneys:,} on {backend}: loaded in "
                f"{time.perf_counter() - started:.0f} s (not timed below)",
                flush=True,
            )
        for night in range(1, args.nights + 1):
            one_night(database, night, args.seed)
        database.dispose()


if __name__ == "__main__":
    main()
