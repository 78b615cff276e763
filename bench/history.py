"""A program's history on top of one matching run, for benchmarks of the pages that report on it.

The run's proposals are given fates as coordinators and attorneys would have decided them
(confirmed, accepted, declined, rejected, expired, superseded, closed with an outcome, or still
awaiting review), each at a plausible time after the child's intake: days to a proposal, to an
offer, hours to an answer, months to a closed case. Each step is written as the decisions write
it (the match's status, timestamps and coded reason, a status-history event; a closed case closes
the child's case) but in bulk, since going through models.decisions one match at a time would
take hours at 250,000 children. The last 30 days are replayed one day at a time, with the day's
report snapshot (models.snapshots) taken at its end, so trends have 30 points that move.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.db import Database
from models.entities import CaseOutcome, CaseStatus, Child, Match, MatchEvent, MatchStatus
from models.offers import OUTCOME_LABELS
from models.reasons import DECLINE_REASONS, REJECTION_REASONS, with_note
from models.settings import offer_timing
from models.snapshots import take_daily_snapshot

SNAPSHOT_DAYS = 30
CHUNK = 5_000  # rows per statement: well under SQLite's bound-parameter limit

# How the run's proposals end up, in shares; a fate whose steps would not have happened by now
# (a child taken in last week cannot have a closed case) falls back to the one before it.
FATES: tuple[tuple[MatchStatus, int], ...] = (
    (MatchStatus.PROPOSED, 14),
    (MatchStatus.SUPERSEDED, 8),
    (MatchStatus.REJECTED, 8),
    (MatchStatus.CONFIRMED, 6),
    (MatchStatus.ACCEPTED, 36),
    (MatchStatus.DECLINED, 8),
    (MatchStatus.EXPIRED, 5),
    (MatchStatus.CLOSED, 15),
)
# Each fate's path from a proposal; a fall-back takes the longest prefix that has happened.
PATHS: dict[MatchStatus, tuple[MatchStatus, ...]] = {
    MatchStatus.PROPOSED: (MatchStatus.PROPOSED,),
    MatchStatus.SUPERSEDED: (MatchStatus.PROPOSED, MatchStatus.SUPERSEDED),
    MatchStatus.REJECTED: (MatchStatus.PROPOSED, MatchStatus.REJECTED),
    MatchStatus.CONFIRMED: (MatchStatus.PROPOSED, MatchStatus.CONFIRMED),
    MatchStatus.ACCEPTED: (MatchStatus.PROPOSED, MatchStatus.CONFIRMED, MatchStatus.ACCEPTED),
    MatchStatus.DECLINED: (MatchStatus.PROPOSED, MatchStatus.CONFIRMED, MatchStatus.DECLINED),
    MatchStatus.EXPIRED: (MatchStatus.PROPOSED, MatchStatus.CONFIRMED, MatchStatus.EXPIRED),
    MatchStatus.CLOSED: (
        MatchStatus.PROPOSED,
        MatchStatus.CONFIRMED,
        MatchStatus.ACCEPTED,
        MatchStatus.CLOSED,
    ),
}
ANSWERS = (MatchStatus.ACCEPTED, MatchStatus.DECLINED, MatchStatus.EXPIRED)  # set answered_at
REASONED = (MatchStatus.REJECTED, MatchStatus.DECLINED)  # steps that carry a coded reason
# Outcomes of the closed cases, in shares (most represented children win relief).
OUTCOMES: tuple[tuple[CaseOutcome, int], ...] = (
    (CaseOutcome.RELIEF_GRANTED, 55),
    (CaseOutcome.TERMINATED, 15),
    (CaseOutcome.VOLUNTARY_DEPARTURE, 8),
    (CaseOutcome.REMOVAL_ORDERED, 10),
    (CaseOutcome.TRANSFERRED, 7),
    (CaseOutcome.WITHDRAWN, 5),
)


@dataclass(frozen=True)
class Step:
    """One change of a match's status, at a time."""

    status: MatchStatus
    at: datetime


@dataclass(frozen=True)
class Fate:
    """What becomes of one proposal: its steps (the first is the proposal), its coded reason and
    outcome where it has one."""

    match_id: int
    child_id: int
    steps: tuple[Step, ...]
    reason: str | None = None
    outcome: CaseOutcome | None = None

    @property
    def done_at(self) -> datetime:
        return self.steps[-1].at


@dataclass(frozen=True)
class HistorySummary:
    matches_by_status: dict[MatchStatus, int]
    snapshots: int


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in choices], [weight for _, weight in choices])[0]


def _step_times(
    rng: random.Random, intake: date, path: Sequence[MatchStatus], expiry_days: int
) -> list[datetime]:
    """When each step of `path` happens: a proposal days after intake, an offer days after it,
    an answer hours or days later (an expiry at the deadline), a closed case months later."""
    proposed = datetime.combine(intake, time(9), UTC) + timedelta(hours=rng.uniform(20, 45 * 24))
    times = [proposed]
    for status in path[1:]:
        before = times[-1]
        if status in (MatchStatus.SUPERSEDED, MatchStatus.REJECTED, MatchStatus.CONFIRMED):
            times.append(before + timedelta(hours=rng.uniform(4, 6 * 24)))
        elif status == MatchStatus.EXPIRED:
            times.append(before + timedelta(days=expiry_days, minutes=rng.uniform(1, 59)))
        elif status == MatchStatus.CLOSED:
            times.append(before + timedelta(days=rng.uniform(30, 420)))
        else:  # answered
            times.append(before + timedelta(hours=rng.uniform(1, (expiry_days - 0.5) * 24)))
    return times


def plan_fates(
    rows: Sequence[tuple[int, int, date]], now: datetime, seed: int, expiry_days: int
) -> list[Fate]:
    """A fate for each (match id, child id, intake date), reproducible from `seed`."""
    rng = random.Random(seed)
    fates = []
    for match_id, child_id, intake in rows:
        fate = _weighted(rng, FATES)
        path = PATHS[fate]
        times = _step_times(rng, intake, path, expiry_days)
        happened = [when for when in times if when <= now]
        if fate == MatchStatus.PROPOSED or not happened:
            # Awaiting review: the latest run's own proposal, made now.
            happened, path = [now], (MatchStatus.PROPOSED,)
        path = path[: len(happened)]
        steps = tuple(Step(status, when) for status, when in zip(path, happened, strict=False))
        last = path[-1]
        reason = outcome = None
        if last == MatchStatus.REJECTED:
            reason = with_note(REJECTION_REASONS, rng.choice(list(REJECTION_REASONS)), "")
        elif last == MatchStatus.DECLINED:
            reason = with_note(DECLINE_REASONS, rng.choice(list(DECLINE_REASONS)), "")
        elif last == MatchStatus.CLOSED:
            outcome = _weighted(rng, OUTCOMES)
        fates.append(Fate(match_id, child_id, steps, reason, outcome))
    return fates


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _match_values(fate: Fate) -> dict[str, Any]:
    """The match's columns once its fate is done, as the decisions leave them."""
    at = {step.status: step.at for step in fate.steps}
    answered = next((at[s] for s in ANSWERS if s in at), None)
    return {
        "id": fate.match_id,
        "status": fate.steps[-1].status,
        "created_at": fate.steps[0].at,
        "updated_at": fate.done_at,
        "offered_at": at.get(MatchStatus.CONFIRMED),
        "answered_at": answered,
        "reason": fate.reason,
        "outcome": fate.outcome,
        "closed_at": at.get(MatchStatus.CLOSED),
    }


def _event_values(fate: Fate) -> list[dict[str, Any]]:
    """The status history of the decisions after the proposal (the run wrote none for it)."""
    events = []
    for before, step in zip(fate.steps, fate.steps[1:], strict=False):
        reason = fate.reason if step.status in REASONED else None
        if step.status == MatchStatus.CLOSED and fate.outcome is not None:
            reason = OUTCOME_LABELS[fate.outcome]
        events.append(
            {
                "match_id": fate.match_id,
                "from_status": before.status,
                "to_status": step.status,
                "at": step.at,
                "user_id": None,
                "reason": reason,
            }
        )
    return events


def apply_fates(session: Session, fates: Sequence[Fate]) -> None:
    """Write the fates' matches, status histories and closed cases, in bulk."""
    for chunk in _chunks(fates):
        session.execute(update(Match), [_match_values(fate) for fate in chunk])
        events = [event for fate in chunk for event in _event_values(fate)]
        if events:
            session.execute(insert(MatchEvent), events)
        closed = [fate.child_id for fate in chunk if fate.steps[-1].status == MatchStatus.CLOSED]
        if closed:
            session.execute(
                update(Child)
                .where(Child.id.in_(closed))
                .values(case_status=CaseStatus.CLOSED)
                .execution_options(synchronize_session=False)
            )


def build_history(database: Database, *, as_of: date, seed: int) -> HistorySummary:
    """Give the latest run's proposals their fates, replaying the last SNAPSHOT_DAYS days one by
    one, each closed by its daily report snapshot (taken as of that day, stamped at its end)."""
    now = utcnow()
    with database.session() as session:
        rows = session.execute(
            select(Match.id, Match.child_id, Child.intake_date)
            .join(Child, Child.id == Match.child_id)
            .where(Match.status == MatchStatus.PROPOSED)
            .order_by(Match.id)
        ).all()
        expiry_days = offer_timing(session).expiry_days
    fates = plan_fates([tuple(row) for row in rows], now, seed, expiry_days)
    first_day = as_of - timedelta(days=SNAPSHOT_DAYS - 1)
    start = datetime.combine(first_day, time.min, UTC)
    with database.session() as session, session.begin():
        apply_fates(session, [fate for fate in fates if fate.done_at < start])
    for offset in range(SNAPSHOT_DAYS):
        day = first_day + timedelta(days=offset)
        day_start = datetime.combine(day, time.min, UTC)
        day_end = day_start + timedelta(days=1)
        with database.session() as session, session.begin():
            apply_fates(session, [fate for fate in fates if day_start <= fate.done_at < day_end])
            snapshot = take_daily_snapshot(session, day)
            snapshot.taken_at = min(day_end - timedelta(minutes=30), now)
    counts = dict.fromkeys(MatchStatus, 0)
    for fate in fates:
        counts[fate.steps[-1].status] += 1
    return HistorySummary(matches_by_status=counts, snapshots=SNAPSHOT_DAYS)
