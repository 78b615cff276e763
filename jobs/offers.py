"""The offer clock's job: reminders and expiry of offers awaiting an attorney's answer.

Hourly in the clock process, and `counselmatch remind-offers` by hand. Each call is one
transaction; a second clock running it at once finds nothing left to do (the rows are locked,
then re-read). Logs carry counts only.
"""

from __future__ import annotations

import logging
from datetime import datetime

from models.base import utcnow
from models.db import Database
from models.offers import ClockSummary, remind_and_expire
from models.settings import offer_timing

log = logging.getLogger("counselmatch.offers")


def run_offer_clock(database: Database, now: datetime | None = None) -> ClockSummary:
    """Remind and expire the offers due at `now` (default: this moment), in one transaction."""
    with database.session() as session, session.begin():
        summary = remind_and_expire(session, now or utcnow(), offer_timing(session))
    log.info("offer clock reminded=%d expired=%d", summary.reminded, summary.expired)
    return summary
