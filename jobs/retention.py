"""The retention job (DESIGN.md "Administration and privacy"): once a day, erase the personal
data of children whose case closed more than the set number of years ago (models.erasure);
`counselmatch erase` runs the same batches for a day an operator gives.

Erased in batches, each its own transaction, so a long first pass (years of closed cases) holds
no lock for long and keeps what it did if it stops. Logs carry counts only, never a name.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.db import Database
from models.entities import User
from models.erasure import RETENTION_ACTOR, ErasureSummary, erase_closed_before, retention_cutoff

log = logging.getLogger("counselmatch.retention")

BATCH_SIZE = 200


def erase_in_batches(
    database: Database, closed_before: date, actor: User | str, *, batch_size: int = BATCH_SIZE
) -> ErasureSummary:
    """Erase every record whose case closed before `closed_before`, `batch_size` per
    transaction; returns the totals."""
    children = matches = scrubbed = 0
    while True:
        with database.session() as session, session.begin():
            summary = erase_closed_before(session, closed_before, actor, limit=batch_size)
        children += summary.children
        matches += summary.matches
        scrubbed += summary.audit_events
        # Each erased record leaves the due set, so a short batch means none is left.
        if summary.children < batch_size:
            return ErasureSummary(children, matches, scrubbed)


def run_retention(
    database: Database, today: date, *, batch_size: int = BATCH_SIZE
) -> tuple[date, ErasureSummary]:
    """Erase every record past retention on `today`; returns the cutoff day and the totals."""
    with database.session() as session:
        cutoff = retention_cutoff(session, today)
    summary = erase_in_batches(database, cutoff, RETENTION_ACTOR, batch_size=batch_size)
    log.info(
        "retention closed_before=%s erased children=%d matches=%d audit_events=%d",
        cutoff.isoformat(),
        summary.children,
        summary.matches,
        summary.audit_events,
    )
    return cutoff, summary


def retention_job(database: Database, timezone: str) -> None:
    """The clock's daily job, as of today in the organisation's zone; an error is logged (it
    runs again tomorrow), never raised into the scheduler."""
    try:
        run_retention(database, datetime.now(ZoneInfo(timezone)).date())
    except Exception:
        log.exception("retention erasure failed; it runs again tomorrow")
