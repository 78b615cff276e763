"""How fast the spreadsheet import is: generated children into a fresh SQLite database.

    python -m bench.import_children --children 50000 [--attorneys 10000] [--seed 1]

Then the children are exported as an Excel workbook and imported back from it (.xlsx).

The files come from fixtures.demo (generated in a separate process, so that the peak memory shown
is the import's own). Each step runs in its own transaction, as `counselmatch import` does; the
times include validation, the bulk writes and the commit. Target (DESIGN.md, issue 2): 50,000
children in under 30 s on a 2-core machine; 250,000 in under 60 s (DESIGN.md "Targets").
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench.common import attorneys_asked, cpu_model, demo_size_parser, peak_rss_mb
from fixtures.demo import generate, write_csv
from models.csv_formats import CsvKind
from models.db import Database, migrate
from models.exports import export_csv, export_xlsx
from models.imports import import_csv
from models.reference import load_reference_data


def _generate(children: int, attorneys: int, seed: int, directory: str) -> None:
    data = generate(children=children, attorneys=attorneys, seed=seed, as_of=date.today())
    write_csv(data, Path(directory))


def main() -> None:
    args = demo_size_parser(__doc__.splitlines()[0], children=50_000).parse_args()
    attorneys = attorneys_asked(args)

    print(
        f"machine: {len(os.sched_getaffinity(0))} cores available ({os.cpu_count()} in all), "
        f"{cpu_model()}"
    )
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="counselmatch-bench-") as work:
        files = Path(work) / "csv"
        started = time.perf_counter()
        generator = multiprocessing.get_context("spawn").Process(
            target=_generate, args=(args.children, attorneys, args.seed, str(files))
        )
        generator.start()
        generator.join()
        if generator.exitcode != 0:
            raise SystemExit("generating the demo files failed")
        print(
            f"generated {args.children} children, {attorneys} attorneys "
            f"in {time.perf_counter() - started:.1f} s (not part of the figures below)"
        )

        database = Database("sqlite:///" + str(Path(work) / "bench.sqlite3"))
        migrate(database.engine)
        with database.session() as session, session.begin():
            load_reference_data(session)
        print(f"peak memory before importing: {peak_rss_mb():.0f} MB")
        print(f"{'step':<34} {'rows':>7} {'seconds':>8} {'peak MB':>8}")

        def step(name: str, work: Callable[..., int]) -> None:
            began = time.perf_counter()
            with database.session() as session, session.begin():
                rows = work(session)
            seconds = time.perf_counter() - began
            print(f"{name:<34} {rows:>7} {seconds:>8.2f} {peak_rss_mb():>8.0f}")

        def importing(kind: CsvKind, **options: bool) -> Callable[..., int]:
            return lambda session: (
                import_csv(
                    session, kind, files / f"{kind.value}.csv", actor="bench", **options
                ).rows
            )

        step("import attorneys (new)", importing(CsvKind.ATTORNEYS))
        step("import children, dry run", importing(CsvKind.CHILDREN, dry_run=True))
        step("import children (new)", importing(CsvKind.CHILDREN))
        step("import children again (updates)", importing(CsvKind.CHILDREN))
        step("import conflicts", importing(CsvKind.CONFLICTS))
        step(
            "export children",
            lambda session: export_csv(session, CsvKind.CHILDREN, Path(work) / "out.csv"),
        )
        workbook = Path(work) / "out.xlsx"
        step(
            "export children (.xlsx)",
            lambda session: export_xlsx(session, CsvKind.CHILDREN, workbook),
        )
        step(
            "import children from .xlsx (updates)",
            lambda session: import_csv(session, CsvKind.CHILDREN, workbook, actor="bench").rows,
        )
        database.dispose()


if __name__ == "__main__":
    main()
