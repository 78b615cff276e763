"""What the benchmarks share: the size of the demo data they are asked for, the machine they ran
on and their peak memory."""

from __future__ import annotations

import argparse
import platform
import resource

from sqlalchemy import text

from models.db import Database


def demo_size_parser(description: str, *, children: int) -> argparse.ArgumentParser:
    """A command line taking --children (default `children`), --attorneys and --seed (default 1);
    see attorneys_asked for the attorneys' default."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--children", type=int, default=children)
    parser.add_argument("--attorneys", type=int, help="default: children / 5")
    parser.add_argument("--seed", type=int, default=1)
    return parser


def attorneys_asked(args: argparse.Namespace) -> int:
    """--attorneys, or a fifth of --children when it is left out."""
    return args.attorneys if args.attorneys is not None else args.children // 5


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_postgres(database: Database) -> None:
    """Empty a PostgreSQL benchmark database: its public schema dropped and made anew."""
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
