"""A report's transaction on PostgreSQL: no JIT, room to hash; only for that transaction."""

from __future__ import annotations

from sqlalchemy import text

from reports.tuning import REPORT_WORK_MEM, tune_for_reports


def _settings(session) -> tuple[str, str]:
    return session.scalar(text("SHOW jit")), session.scalar(text("SHOW work_mem"))


def test_the_settings_hold_for_the_report_transaction_only(session):
    if session.get_bind().dialect.name != "postgresql":
        with session.begin():
            tune_for_reports(session)  # nothing to set, and no error
        return
    with session.begin():
        before = _settings(session)
    with session.begin():
        tune_for_reports(session)
        assert _settings(session) == ("off", REPORT_WORK_MEM)
    with session.begin():
        assert _settings(session) == before
