"""Two decisions at once, for real: the second, in another thread and session, reaches the lock
while the first holds its transaction open (a lost update shows as a wrong outcome, a missing
lock as the second never waiting)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from models.db import Database

HANG_GUARD_S = 60  # a broken lock fails the test instead of hanging it; never a timing


def race(
    db: Database,
    first: Callable[[Session], object],
    second: Callable[[Session], object],
    is_lock: Callable[[str], bool],
) -> tuple[object, list[bool]]:
    """Run `first(session)` in an open transaction, start `second(session)` in another thread
    and session, let `first` commit only once `second` has reached its lock, and return what
    `second` returned or raised, with, for its lock statement, whether `first` was already
    committing when it came back (True: `second` waited for `first`). `is_lock` names the
    statement that takes the lock."""
    second_at_lock = threading.Event()
    first_committing = threading.Event()
    waited: list[bool] = []
    outcome: list[object] = []
    second_thread: list[threading.Thread] = []

    def before(conn, cursor, statement, params, context, executemany):
        if threading.current_thread() in second_thread and is_lock(statement):
            second_at_lock.set()

    def after(conn, cursor, statement, params, context, executemany):
        if threading.current_thread() in second_thread and is_lock(statement):
            waited.append(first_committing.is_set())

    def run_second() -> None:
        with db.session() as session:
            try:
                with session.begin():
                    outcome.append(second(session))
            except Exception as error:  # handed to the test thread, which asserts on it
                outcome.append(error)

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        with db.session() as session:
            session.begin()
            first(session)
            thread = threading.Thread(target=run_second, name="second-decision")
            second_thread.append(thread)
            thread.start()
            assert second_at_lock.wait(HANG_GUARD_S), "the second decision never took its lock"
            first_committing.set()
            session.commit()
        thread.join(HANG_GUARD_S)
        assert not thread.is_alive(), "the second decision never finished"
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
    [result] = outcome
    return result, waited
