"""Server time of every report page (reports.catalogue), its CSV downloads and its charts.

    python -m bench.reports [--children 50000 250000] [--runs 3] [--database-url URL] [--sqlite]
    python -m bench.reports --reuse --database-url URL  (time again, data as last loaded)

For each size, demo data (fixtures.demo, a fifth as many attorneys as children) is imported
into a fresh database, one real matching run (jobs.matching) proposes pairs and records its
demand, its recruitment targets are computed (jobs.recruitment, as the nightly job does, each
solve limited to TARGETS_TIME_LIMIT_S), and
fixtures.history gives the proposals their fates (every status, closed cases with
outcomes) over the last 30 days with a daily report snapshot each day. Then a signed-in program
lead asks for each report of the catalogue through Flask's test client (no network: the time is
the server's), and for every CSV download and chart the page links to; each is timed as the
median of `--runs` requests after one warm-up, with its SQL statements (and on PostgreSQL the
time the database took). The database
is the one --database-url or BENCH_DATABASE_URL names (emptied first: a PostgreSQL database's
public schema is dropped, a SQLite file removed), else a fresh temporary SQLite file (always with
--sqlite).
Target (DESIGN.md "Targets"): every report under 1 s at 250,000 children on PostgreSQL.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from bench.common import cpu_model, reset_postgres
from bench.nightly_run import load_demo
from bench.review_queue import signed_in_client
from fixtures.factories import UserFactory, factories_bound
from fixtures.history import build_history
from jobs.matching import run_match
from jobs.recruitment import compute_targets
from models.db import Database
from models.entities import MatchStatus, Role
from models.queries import count_children
from reports.catalogue import CATALOGUE

LEAD = "bench-lead@example.org"
TARGET_S = 1.0
TARGET_CHILDREN = 250_000
TARGET_BACKEND = "postgresql"
TARGETS_TIME_LIMIT_S = 10.0
LINKS = re.compile(r'(?:href|src)="(/reports/[^"?]+\.(?:csv|svg))"')


@dataclass(frozen=True)
class Timing:
    report: str
    request: str  # the path asked for
    children: int
    backend: str
    median_s: float
    sql_s: float  # of the median request's time, spent in the database
    statements: int

    @property
    def over_target(self) -> bool:
        return (
            self.backend == TARGET_BACKEND
            and self.children >= TARGET_CHILDREN
            and self.median_s > TARGET_S
        )


class SqlClock:
    """Seconds spent in, and statements sent to, an engine's database since `reset`."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self.statements = 0
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, 0

    def _before(self, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()
        self.statements += 1


def load(database: Database, children: int, seed: int) -> str:
    """Demo data, one real run as of today, the proposals' history and a program lead; a line
    saying what was loaded."""
    load_demo(database, children, children // 5, seed)
    # As the nightly job does: the run, then its recruitment targets (each solve limited, so
    # that 250,000 children take minutes, not an hour: the report reads the same snapshot).
    outcome = run_match(database, as_of=date.today(), trigger="command")
    targets = compute_targets(database, time_limit_s=TARGETS_TIME_LIMIT_S)
    history = build_history(database, as_of=date.today(), seed=seed)
    with database.session() as session, session.begin(), factories_bound(session):
        UserFactory(role=Role.PROGRAM_LEAD, email=LEAD)
    by_status = ", ".join(
        f"{status.value} {count:,}"
        for status, count in history.matches_by_status.items()
        if status != MatchStatus.PROPOSED or count
    )
    assert outcome.saved is not None and targets is not None
    return (
        f"{children:,} children x {children // 5:,} attorneys; run #{outcome.run_id} proposed "
        f"{outcome.saved.proposed:,}, left {len(outcome.result.unmatched):,} unmatched; "
        f"{len(targets.targets)} recruitment targets in {targets.seconds:.0f} s; "
        f"matches now {by_status}; {history.snapshots} daily snapshots"
    )


def timed(
    client: FlaskClient, clock: SqlClock, path: str, runs: int
) -> tuple[float, float, int, str]:
    """Median seconds of GET `path` over `runs` requests after a warm-up, the SQL seconds and
    statements of that median request, and the warm-up's body."""
    warm = client.get(path)
    assert warm.status_code == 200, f"GET {path} answered {warm.status_code}"
    measured = []
    for _ in range(runs):
        clock.reset()
        started = time.perf_counter()
        response = client.get(path)
        measured.append((time.perf_counter() - started, clock.seconds, clock.statements))
        assert response.status_code == 200, f"GET {path} answered {response.status_code}"
    median = sorted(measured)[len(measured) // 2]  # the middle request (the upper one if even)
    return median[0], median[1], median[2], warm.get_data(as_text=True)


def bench_reports(database: Database, children: int, runs: int) -> list[Timing]:
    """Every report page of the catalogue, then each CSV and chart it links to."""
    backend = database.engine.dialect.name
    client = signed_in_client(database, LEAD)
    clock = SqlClock(client.application.extensions["counselmatch_db"].engine)
    timings = []
    try:
        for key in CATALOGUE:
            page = f"/reports/{key}"
            seconds, sql_s, statements, body = timed(client, clock, page, runs)
            timings.append(Timing(key, page, children, backend, seconds, sql_s, statements))
            print_timing(timings[-1])
            for link in dict.fromkeys(html.unescape(m) for m in LINKS.findall(body)):
                seconds, sql_s, statements, _ = timed(client, clock, link, runs)
                timings.append(Timing(key, link, children, backend, seconds, sql_s, statements))
                print_timing(timings[-1])
    finally:
        client.application.extensions["counselmatch_db"].dispose()
    return timings


def flag(timing: Timing) -> str:
    """Over the target where DESIGN.md sets it; over its time anywhere else, for the record."""
    if timing.over_target:
        return f"  OVER TARGET ({TARGET_S:g} s)"
    return f"  over {TARGET_S:g} s" if timing.median_s > TARGET_S else ""


def print_timing(timing: Timing) -> None:
    # SQLite computes rows as they are read, after the driver's execute: only PostgreSQL's
    # execute time is the database's whole time.
    sql = f"SQL {timing.sql_s:.3f} s in " if timing.backend == "postgresql" else ""
    print(
        f"  {timing.request:<48} {timing.median_s:>7.3f} s  ({sql}{timing.statements} "
        f"statements){flag(timing)}",
        flush=True,
    )


def summary(timings: list[Timing]) -> list[str]:
    """Per report, size and backend: the page, its slowest CSV and its slowest chart."""
    lines = [
        f"{'report':<12} {'children':>9} {'backend':<10} {'page s':>7} {'CSV s':>7} "
        f"{'chart s':>7}  (slowest CSV, chart)"
    ]
    groups: dict[tuple[str, int, str], list[Timing]] = {}
    for timing in timings:
        groups.setdefault((timing.report, timing.children, timing.backend), []).append(timing)
    for (report, children, backend), group in groups.items():

        def slowest(suffix: str, group: list[Timing] = group) -> str:
            times = [t.median_s for t in group if t.request.endswith(suffix)]
            return f"{max(times):>7.3f}" if times else f"{'-':>7}"

        page = next(t for t in group if t.request == f"/reports/{report}")
        worst = max(group, key=lambda t: t.median_s)
        lines.append(
            f"{report:<12} {children:>9,} {backend:<10} {page.median_s:>7.3f} "
            f"{slowest('.csv')} {slowest('.svg')}{flag(worst)}"
        )
    return lines


@contextmanager
def fresh_database(url: str | None, work: str, children: int) -> Iterator[Database]:
    """An empty database for one size: the one named emptied (a SQLite file removed, a
    PostgreSQL schema dropped), or a new SQLite file in `work`."""
    url = url or "sqlite:///" + str(Path(work) / f"reports-{children}.sqlite3")
    database = Database(url)
    if database.engine.dialect.name == "sqlite":
        name = database.engine.url.database
        if name and name != ":memory:":
            for leftover in (name, f"{name}-wal", f"{name}-shm"):
                Path(leftover).unlink(missing_ok=True)
    else:
        reset_postgres(database)
    try:
        yield database
    finally:
        database.dispose()


def loaded_children(database: Database) -> int:
    with database.session() as session:
        return count_children(session).total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, nargs="+", default=[50_000, 250_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="an EMPTY PostgreSQL database (its public schema is dropped); default: "
        "$BENCH_DATABASE_URL, else a fresh SQLite file",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="a fresh SQLite file even if a URL is set"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the reports on the database at --database-url as an earlier run of this "
        "bench left it (its last size), without emptying or loading it",
    )
    args = parser.parse_args()
    url = None if args.sqlite else args.database_url
    print(f"machine: {len(os.sched_getaffinity(0))} cores, {cpu_model()}")
    timings: list[Timing] = []
    if args.reuse:
        if not url:
            parser.error("--reuse needs --database-url (or BENCH_DATABASE_URL)")
        database = Database(url)
        children = loaded_children(database)
        print(f"{children:,} children already loaded; {database.engine.dialect.name}:")
        timings = bench_reports(database, children, args.runs)
        database.dispose()
        print("\n".join(["", *summary(timings)]))
        return
    with tempfile.TemporaryDirectory(prefix="counselmatch-bench-") as work:
        for children in args.children:
            with fresh_database(url, work, children) as database:
                started = time.perf_counter()
                loaded = load(database, children, args.seed)
                print(f"{loaded} ({time.perf_counter() - started:.0f} s to set up)", flush=True)
                print(f"median of {args.runs} after a warm-up, {database.engine.dialect.name}:")
                timings += bench_reports(database, children, args.runs)
    print()
    print("\n".join(summary(timings)))
    over = [t for t in timings if t.over_target]
    if over:
        print(f"{len(over)} requests over the {TARGET_S:g} s target at {TARGET_CHILDREN:,}")


if __name__ == "__main__":
    main()
