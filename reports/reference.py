"""Public figures the reports compare against (../shared/reference/FACTS.md), with sources."""

from __future__ import annotations

NATIONAL_REPRESENTED_SHARE = 0.32
NATIONAL_REPRESENTED_SOURCE = (
    f"{NATIONAL_REPRESENTED_SHARE:.0%} of 63,721 pending children's cases had an attorney "
    "nationally (TRAC report 371, 2014)"
)
STAY_WITH_COUNSEL = 0.73
STAY_WITHOUT_COUNSEL = 0.15
STAY_SOURCE = (
    f"nationally, {STAY_WITH_COUNSEL:.0%} of children with counsel were allowed to stay, "
    f"against {STAY_WITHOUT_COUNSEL:.0%} without (TRAC report 371)"
)
