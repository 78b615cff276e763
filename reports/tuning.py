"""How a report's transaction is set up on PostgreSQL.

A report counts every child (or match) the filters keep in one aggregate statement. PostgreSQL's
defaults suit short queries, and serve those badly: the planner overestimates the groups (it
multiplies the columns' distinct values: 255,000 expected, 32,000 found at 250,000 children),
so with 4 MB of work memory it sorts on disk instead of hashing, and the estimated cost sets off
JIT compilation, which took 4 s on a 2-core machine for a statement that then ran in 0.4 s.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# Per sort or hash in the statement, for this transaction only: the gap's groups at 250,000
# children take 7 MB in a hash table.
REPORT_WORK_MEM = "64MB"


def tune_for_reports(session: Session) -> None:
    """For the rest of the session's transaction, on PostgreSQL: no JIT, and the work memory to
    group in a hash table. Nothing elsewhere (SQLite has neither)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
