"""`make bench`: every benchmark, at the sizes DESIGN.md sets targets for; output for the README."""

from __future__ import annotations

import os
import subprocess
import sys

RUNS = [
    ["bench.import_children", "--children", "50000"],
    ["bench.engine", "--children", "5000", "--attorneys", "1000"],
    ["bench.engine", "--children", "20000", "--attorneys", "4000"],
    ["bench.engine", "--children", "50000", "--attorneys", "10000"],
    ["bench.nightly_run", "--children", "5000", "--attorneys", "1000", "--sqlite"],
    ["bench.nightly_run", "--children", "50000", "--attorneys", "10000", "--sqlite"],
    # The national backlog in one solve: two nights, the second replacing the first's proposals.
    ["bench.nightly_run", "--children", "250000", "--attorneys", "50000", "--sqlite"],
    ["bench.stability", "--children", "5000", "--attorneys", "1000"],
    ["bench.review_queue", "--proposals", "5000"],
    ["bench.reports", "--children", "50000", "250000", "--sqlite"],
]
# The targets at 250,000 children are PostgreSQL's: those runs when BENCH_DATABASE_URL names one.
if os.environ.get("BENCH_DATABASE_URL"):
    RUNS.append(["bench.reports", "--children", "50000", "250000"])
    RUNS.append(
        [
            "bench.nightly_run",
            "--children",
            "250000",
            "--attorneys",
            "50000",
            "--database-url",
            os.environ["BENCH_DATABASE_URL"],
        ]
    )


def main() -> None:
    for module, *args in RUNS:
        print(f"\n$ python -m {module} {' '.join(args)}", flush=True)
        # Each benchmark in its own process, so peak memory figures are its own.
        subprocess.run([sys.executable, "-m", module, *args], check=True)


if __name__ == "__main__":
    main()
