"""`make bench`: every benchmark, at the sizes DESIGN.md sets targets for; output for the README."""

from __future__ import annotations

import subprocess
import sys

RUNS = [
    ["bench.import_children", "--children", "50000"],
    ["bench.engine", "--children", "5000", "--attorneys", "1000"],
    ["bench.engine", "--children", "20000", "--attorneys", "4000"],
    ["bench.engine", "--children", "50000", "--attorneys", "10000"],
    ["bench.nightly_run", "--children", "5000", "--attorneys", "1000"],
    ["bench.nightly_run", "--children", "50000", "--attorneys", "10000"],
    ["bench.review_queue", "--proposals", "5000"],
]


def main() -> None:
    for module, *args in RUNS:
        print(f"\n$ python -m {module} {' '.join(args)}", flush=True)
        # Each benchmark in its own process, so peak memory figures are its own.
        subprocess.run([sys.executable, "-m", module, *args], check=True)


if __name__ == "__main__":
    main()
