"""One matching run at a time, across every process that can start one.

The nightly job, `counselmatch match` and the clock's pick-up of a run requested with the web's
"Run now" all take this lock first (a requested run waits as `queued`, which the lock never
touches). On PostgreSQL it is a session advisory lock, which the server frees when the holding
connection dies;
on SQLite it is a row in `run_locks` with the holder's host and pid and a heartbeat, taken over
once the holder's process is gone or its heartbeat has stopped. Whoever takes the lock marks any run
still recorded as running as failed: only a holder of the lock runs, so such a run was cut short.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from models import audit
from models.base import utcnow
from models.db import Database
from models.engine_adapter import discard_staged
from models.entities import MatchRun, RunLock, RunStatus

log = logging.getLogger("counselmatch.lock")

LOCK_NAME = "matching"
# pg_advisory_lock's two keys: an arbitrary constant for this application, and its schema, so
# every process of one installation shares the lock while installations kept in different schemas
# of one database (as the test suite's parallel workers are) do not block each other.
ADVISORY_KEY = 0x436F756E  # "Coun"
ADVISORY_LOCK = ":key, hashtext(current_schema())"
HEARTBEAT_EVERY_S = 5.0
RECORDING_WAIT_STEPS = 50  # x 0.1 s
# A SQLite lock row whose heartbeat is older than this is taken over. Operators set it with
# COUNSELMATCH_LOCK_STALE_S, which the configuration (web.config) reads and the callers pass in.
DEFAULT_STALE_AFTER_S = 60.0


class RunInProgress(Exception):
    """Another run holds the lock; says which and since when."""

    def __init__(self, run_id: int | None, since: datetime | None) -> None:
        self.run_id = run_id
        self.since = since
        what = f"Run {run_id}" if run_id is not None else "Another run"
        when = f" since {since:%Y-%m-%d %H:%M:%S} UTC" if since is not None else ""
        super().__init__(f"{what} has been in progress{when}; not starting another.")


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_gone(holder: str) -> bool:
    """True when the holder ran on this host and its process no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class MatchingLock:
    """Held for the length of one run: acquire(), attach(run_id), release()."""

    def __init__(self, database: Database, *, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> None:
        self.database = database
        self.stale_after_s = stale_after_s
        self.holder = this_process()
        self.run_id: int | None = None
        self._pg_connection: Connection | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @property
    def _on_postgres(self) -> bool:
        return self.database.engine.dialect.name == "postgresql"

    def acquire(self) -> None:
        """Take the lock or raise RunInProgress; then close out runs cut short earlier."""
        if self._on_postgres:
            self._acquire_advisory()
        else:
            self._acquire_row()
        self._fail_interrupted_runs()

    def _acquire_advisory(self) -> None:
        connection = self.database.engine.connect()
        taken = connection.execute(
            text(f"SELECT pg_try_advisory_lock({ADVISORY_LOCK})"), {"key": ADVISORY_KEY}
        ).scalar_one()
        connection.commit()
        if not taken:
            connection.close()
            self._refuse()
        self._pg_connection = connection

    def _acquire_row(self) -> None:
        now = utcnow()
        with self.database.engine.begin() as connection:
            current = connection.execute(
                select(RunLock.holder, RunLock.heartbeat_at).where(RunLock.name == LOCK_NAME)
            ).one_or_none()
            held = current is not None and not (
                current.heartbeat_at < now - timedelta(seconds=self.stale_after_s)
                or _holder_is_gone(current.holder)
            )
            if current is not None and not held:
                holder = current.holder
                # Conditional on the same holder, so two processes taking over cannot both win.
                connection.execute(
                    delete(RunLock).where(RunLock.name == LOCK_NAME, RunLock.holder == holder)
                )
                log.warning("lock taken over from %s (process gone or heartbeat stopped)", holder)
        if held:
            self._refuse()
        try:
            with self.database.engine.begin() as connection:
                connection.execute(
                    insert(RunLock).values(
                        name=LOCK_NAME, holder=self.holder, acquired_at=now, heartbeat_at=now
                    )
                )
        except IntegrityError:
            self._refuse()

    def _in_progress(self, connection: Connection) -> RunInProgress:
        running = connection.execute(
            select(MatchRun.id, MatchRun.started_at)
            .where(MatchRun.status == RunStatus.RUNNING)
            .order_by(MatchRun.id.desc())
            .limit(1)
        ).one_or_none()
        return RunInProgress(*running) if running else RunInProgress(None, None)

    def _refuse(self) -> None:
        # The holder records its run right after taking the lock: give it a moment to appear,
        # so the refusal can name the run and its start.
        for _ in range(RECORDING_WAIT_STEPS):
            with self.database.engine.connect() as connection:
                busy = self._in_progress(connection)
            if busy.run_id is not None:
                break
            time.sleep(0.1)
        raise busy

    def _fail_interrupted_runs(self) -> None:
        with self.database.session() as session, session.begin():
            interrupted = session.scalars(
                select(MatchRun).where(MatchRun.status == RunStatus.RUNNING)
            ).all()
            for run in interrupted:
                run.status = RunStatus.FAILED
                run.finished_at = utcnow()
                run.stage = None
                run.error = (
                    "Interrupted: the process running it stopped before it finished "
                    "(found when the next run took the lock). Its proposals were not saved; "
                    "earlier proposals were kept."
                )
                discard_staged(session, run.id)
                audit.record(session, "system", "match_run_interrupted", "match_run", run.id)
                log.warning("run_id=%s marked failed: its process stopped", run.id)

    def attach(self, run_id: int) -> None:
        """Name the run holding the lock, and start the heartbeat."""
        self.run_id = run_id
        if not self._on_postgres:
            with self.database.engine.begin() as connection:
                connection.execute(
                    update(RunLock)
                    .where(RunLock.name == LOCK_NAME, RunLock.holder == self.holder)
                    .values(run_id=run_id)
                )
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True
        )
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY_S):
            try:
                self.beat_once()
            except Exception:  # a missed beat is retried; the run itself must go on
                log.exception("heartbeat failed for run_id=%s", self.run_id)

    def beat_once(self) -> None:
        now = utcnow()
        with self.database.engine.begin() as connection:
            if self.run_id is not None:
                connection.execute(
                    update(MatchRun).where(MatchRun.id == self.run_id).values(heartbeat_at=now)
                )
            if not self._on_postgres:
                connection.execute(
                    update(RunLock)
                    .where(RunLock.name == LOCK_NAME, RunLock.holder == self.holder)
                    .values(heartbeat_at=now)
                )

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._pg_connection is not None:
            self._pg_connection.execute(
                text(f"SELECT pg_advisory_unlock({ADVISORY_LOCK})"), {"key": ADVISORY_KEY}
            )
            self._pg_connection.commit()
            self._pg_connection.close()
            self._pg_connection = None
        else:
            with self.database.engine.begin() as connection:
                connection.execute(
                    delete(RunLock).where(RunLock.name == LOCK_NAME, RunLock.holder == self.holder)
                )
