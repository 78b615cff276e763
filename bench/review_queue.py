"""Server time of the review queue (GET /review) with 5,000 proposals awaiting review.

    python -m bench.review_queue [--proposals 5000] [--runs 7] [--database-url URL]

Demo data (fixtures.demo) is imported into a fresh SQLite database (or the empty PostgreSQL
database given), every attorney is given room for more cases, and one real matching run proposes
pairs; proposals beyond `--proposals` are marked superseded, so exactly that many await review.
Then a signed-in coordinator's requests go through Flask's test client (no network: the time is
the server's) and the median of `--runs` timings after one warm-up request is reported, for the
first page, a filtered page and the last page. Target (DESIGN.md): under 300 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select, update

from bench.common import cpu_model, reset_postgres
from bench.nightly_run import load_demo
from fixtures.factories import FACTORY_PASSWORD, UserFactory, factories_bound
from jobs.matching import run_match
from models.db import Database
from models.entities import Attorney, Match, MatchStatus, Role
from web import create_app

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
COORDINATOR = "bench-coordinator@example.org"


def make_proposals(database: Database, proposals: int, seed: int) -> int:
    """Demo data with enough capacity for `proposals`, one run, and exactly that many proposed."""
    children = int(proposals * 1.6)
    load_demo(database, children, children // 4, seed)
    with database.session() as session, session.begin():
        session.execute(update(Attorney).values(capacity=Attorney.imported_active_cases + 12))
    run_match(database, as_of=date.today(), trigger="command")
    with database.session() as session, session.begin():
        proposed = session.scalars(
            select(Match.id).where(Match.status == MatchStatus.PROPOSED).order_by(Match.id)
        ).all()
        extra = proposed[proposals:]
        if extra:
            session.execute(
                update(Match).where(Match.id.in_(extra)).values(status=MatchStatus.SUPERSEDED)
            )
        with factories_bound(session):
            UserFactory(role=Role.COORDINATOR, email=COORDINATOR)
    return min(len(proposed), proposals)


def signed_in_client(database: Database, email: str = COORDINATOR) -> FlaskClient:
    """A test client of the app on `database`, signed in as the user `email` (through the sign-in
    form, CSRF and all), whose password is the factories' FACTORY_PASSWORD."""
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": database.url})
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/login",
        data={"email": email, "password": FACTORY_PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def median_ms(client: FlaskClient, path: str, runs: int) -> tuple[float, int]:
    """Median server time of GET `path` in ms over `runs` requests after a warm-up, and the
    page's size in bytes."""
    warm = client.get(path)
    assert warm.status_code == 200, f"GET {path} answered {warm.status_code}"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times), len(warm.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        help="an EMPTY PostgreSQL database to use (its public schema is dropped); "
        "default: a fresh SQLite file",
    )
    args = parser.parse_args()
    print(f"machine: {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="counselmatch-bench-") as work:
        url = args.database_url or "sqlite:///" + str(Path(work) / "bench.sqlite3")
        database = Database(url)
        if args.database_url:
            reset_postgres(database)
        started = time.perf_counter()
        count = make_proposals(database, args.proposals, args.seed)
        setup_s = time.perf_counter() - started
        print(f"{count} proposals awaiting review ({setup_s:.1f} s to set up)")
        client = signed_in_client(database)
        first_ms, size = median_ms(client, "/review", args.runs)
        print(
            f"GET /review (first page of 50): median {first_ms:.0f} ms over {args.runs} runs, "
            f"{size / 1024:.0f} KB  [target < 300 ms]"
        )
        filtered_ms, _ = median_ms(client, "/review?language=spa&tier=3", args.runs)
        print(f"GET /review?language=spa&tier=3: median {filtered_ms:.0f} ms")
        last_ms, _ = median_ms(client, "/review?page=9999", args.runs)
        print(f"GET /review?page=9999 (the last page): median {last_ms:.0f} ms")
        client.application.extensions["counselmatch_db"].dispose()
        database.dispose()


if __name__ == "__main__":
    main()
