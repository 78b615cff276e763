"""Capacity against demand, kept per run: the engine's `matcher.demand` groups of a run's
unmatched children, saved with the run as a report snapshot (counts only, no child)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.demand import GroupDemand

from .entities import ReportSnapshot

CAPACITY_DEMAND = "capacity_demand"


def save_demand(session: Session, run_id: int, groups: Iterable[GroupDemand]) -> ReportSnapshot:
    """Add the run's groups as a snapshot (one row per group; case_type None: all types)."""
    snapshot = ReportSnapshot(
        kind=CAPACITY_DEMAND,
        data={"run_id": run_id, "groups": [_row(group) for group in groups]},
    )
    session.add(snapshot)
    return snapshot


def latest_demand(session: Session) -> ReportSnapshot | None:
    """The newest capacity snapshot (that of the latest run that saved one)."""
    return session.scalar(
        select(ReportSnapshot)
        .where(ReportSnapshot.kind == CAPACITY_DEMAND)
        .order_by(ReportSnapshot.id.desc())
        .limit(1)
    )


def _row(group: GroupDemand) -> dict[str, Any]:
    return {
        "court_id": group.court_id,
        "language": group.language,
        "case_type": group.case_type.value if group.case_type is not None else None,
        "unmatched_per_tier": {
            tier.name: n for tier, n in sorted(group.unmatched_per_tier.items())
        },
        "reasons": {reason.value: n for reason, n in sorted(group.reasons.items())},
        "eligible_attorneys": group.eligible_attorneys,
        "free_slots": group.free_slots,
        "free_slots_after_run": group.free_slots_after_run,
    }
