"""Daily report snapshots: children with and without counsel by court, language and tier."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .entities import CaseStatus, Child, Court, Language, ReportSnapshot
from .queries import has_accepted_match, tier_expression

DAILY_COUNTS = "daily_counts"


def take_daily_snapshot(session: Session, as_of: date) -> ReportSnapshot:
    """Count open children with and without counsel per (court, language, tier); add a snapshot."""
    tier = tier_expression(as_of).label("tier")
    represented = case((has_accepted_match(), 1), else_=0)
    rows = session.execute(
        select(
            Court.code,
            Language.code,
            tier,
            func.count(),
            func.coalesce(func.sum(represented), 0),
        )
        .join(Court, Court.id == Child.court_id)
        .join(Language, Language.id == Child.primary_language_id)
        .where(Child.case_status == CaseStatus.OPEN)
        .group_by(Court.code, Language.code, tier)
        .order_by(Court.code, Language.code, tier)
    ).all()
    snapshot = ReportSnapshot(
        kind=DAILY_COUNTS,
        data={
            "as_of": as_of.isoformat(),
            "rows": [
                {
                    "court": court,
                    "language": language,
                    "tier": int(tier_number),
                    "with_counsel": int(with_counsel),
                    "without_counsel": int(total) - int(with_counsel),
                }
                for court, language, tier_number, total, with_counsel in rows
            ],
        },
    )
    session.add(snapshot)
    return snapshot
