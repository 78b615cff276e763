"""The daily coordinators' digest job: queues models.digest's message in one transaction (the
clock's outbox job sends it)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.base import utcnow
from models.db import Database
from models.digest import queue_coordinator_digest
from models.settings import public_base_url

log = logging.getLogger("counselmatch.digest")

DIGEST_WINDOW = timedelta(days=1)


def coordinator_digest(database: Database, timezone: str, now: datetime | None = None) -> int:
    """Queue the digest of the day up to `now` (default: now) to every active coordinator, its
    links on the `app.base_url` setting; returns how many messages were queued."""
    until = now or utcnow()
    as_of = until.astimezone(ZoneInfo(timezone)).date()
    with database.session() as session, session.begin():
        queued = queue_coordinator_digest(
            session,
            as_of=as_of,
            since=until - DIGEST_WINDOW,
            until=until,
            base_url=public_base_url(session),
        )
    log.info("coordinator digest as_of=%s messages=%d", as_of, queued)
    return queued
