"""The database ↔ engine adapter: the one place that turns the database into a `MatchProblem`, and
a `MatchResult` into rows."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import psycopg
from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    Table,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from matcher.problem import (
    AttorneyInput,
    ChildInput,
    CourtInput,
    MatchProblem,
    MatchSettings,
    PreviousProposal,
)
from matcher.result import MatchResult, Proposal, Unmatched
from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel, Tier

from .base import utcnow
from .capacity import CAPACITY_HOLDING_STATUSES, slots_by_attorney
from .entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    CaseStatus,
    Child,
    ChildLanguage,
    Conflict,
    Court,
    Language,
    LeavePeriod,
    Match,
    MatchEvent,
    MatchRun,
    MatchStatus,
    StagedProposal,
    UnmatchedChild,
)
from .settings import load_match_settings, offer_timing, stability_bonus

# Pairs never proposed again; an offer that expired unanswered rests its pair for a while only.
REFUSED_STATUSES = (MatchStatus.REJECTED, MatchStatus.DECLINED)
RESTING_STATUS = MatchStatus.EXPIRED
# The unmatched reason of a child whose proposal a decision overtook while the run solved.
CHANGED_WHILE_SOLVING = "changed_while_solving"
# Ids per IN list when deleting by a list of children (well under any driver's parameter limit).
IN_LIST_CHUNK = 500


def child_is_spoken_for() -> Any:
    """A child with an accepted case or a confirmed offer is not matched again."""
    return exists().where(Match.child_id == Child.id, Match.status.in_(CAPACITY_HOLDING_STATUSES))


def refusing_match(session: Session, now: datetime | None = None) -> ColumnElement[bool]:
    """True for a match that keeps its pair from being proposed: rejected or declined ever, or
    an offer that expired unanswered less than `expired_pair_pause_days` before `now`."""
    pause = timedelta(days=offer_timing(session).expired_pair_pause_days)
    since = (now or utcnow()) - pause
    return or_(
        Match.status.in_(REFUSED_STATUSES),
        and_(
            Match.status == RESTING_STATUS,
            func.coalesce(Match.answered_at, Match.updated_at) > since,
        ),
    )


def refused_pairs(session: Session, now: datetime | None = None) -> Select[int, int]:
    """(child id, attorney id) of the pairs not to propose (see `refusing_match`)."""
    return select(Match.child_id, Match.attorney_id).where(refusing_match(session, now))


def _grouped(rows: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped


def _only(column: Any, ids: Collection[int] | None) -> Any:
    """A WHERE clause keeping the rows of `ids` (every row when `ids` is None)."""
    return true() if ids is None else column.in_(ids)


def _child_inputs(
    session: Session, *, where: Any = None, child_ids: Collection[int] | None = None
) -> tuple[ChildInput, ...]:
    """The engine's view of the children `where` selects, or of `child_ids`, by id. Erased
    records (models/erasure.py: closed, no birth date) are left out: no rule judges them."""
    condition = and_(
        where if where is not None else _only(Child.id, child_ids), Child.erased_at.is_(None)
    )
    other_languages = _grouped(
        session.execute(
            select(ChildLanguage.child_id, Language.code)
            .join(Language, Language.id == ChildLanguage.language_id)
            .where(_only(ChildLanguage.child_id, child_ids))
            .order_by(ChildLanguage.child_id, Language.code)
        )
    )
    rows = session.execute(
        select(
            Child.id,
            Child.court_id,
            Child.case_type,
            Language.code,
            Child.birth_date,
            Child.next_hearing_date,
            Child.detained,
            Child.sibling_group_id,
        )
        .join(Language, Language.id == Child.primary_language_id)
        .where(condition)
        .order_by(Child.id)
    )
    children = []
    for child_id, court_id, case_type, primary, birth, hearing, detained, group in rows:
        if birth is None:  # kept out by the condition; the CHECK ties it to erased_at
            raise AssertionError(f"child {child_id} has no birth date but is not erased")
        others = [code for code in other_languages.get(child_id, ()) if code != primary]
        children.append(
            ChildInput(
                id=child_id,
                court_id=court_id,
                case_type=CaseType(case_type),
                languages=(primary, *others),
                birth_date=birth,
                next_hearing_date=hearing,
                detained=detained,
                sibling_group=group,
            )
        )
    return tuple(children)


def load_children(session: Session) -> tuple[ChildInput, ...]:
    """Open children without an accepted case or a confirmed offer."""
    return _child_inputs(
        session, where=and_(Child.case_status == CaseStatus.OPEN, ~child_is_spoken_for())
    )


def load_attorneys(
    session: Session, attorney_ids: Collection[int] | None = None
) -> tuple[AttorneyInput, ...]:
    """Active attorneys (all, or those of `attorney_ids`), with their free capacity net of
    accepted and confirmed matches."""
    languages = _grouped(
        (attorney_id, (code, LanguageLevel(level)))
        for attorney_id, code, level in session.execute(
            select(AttorneyLanguage.attorney_id, Language.code, AttorneyLanguage.level)
            .join(Language, Language.id == AttorneyLanguage.language_id)
            .where(_only(AttorneyLanguage.attorney_id, attorney_ids))
            .order_by(AttorneyLanguage.attorney_id, Language.code)
        )
    )
    courts = _grouped(
        session.execute(
            select(AttorneyCourt.attorney_id, AttorneyCourt.court_id)
            .where(_only(AttorneyCourt.attorney_id, attorney_ids))
            .order_by(AttorneyCourt.attorney_id, AttorneyCourt.court_id)
        )
    )
    states = _grouped(
        session.execute(
            select(AttorneyState.attorney_id, AttorneyState.state)
            .where(_only(AttorneyState.attorney_id, attorney_ids))
            .order_by(AttorneyState.attorney_id, AttorneyState.state)
        )
    )
    expertise = _grouped(
        (attorney_id, (CaseType(case_type), ExpertiseLevel(level)))
        for attorney_id, case_type, level in session.execute(
            select(
                AttorneyExpertise.attorney_id, AttorneyExpertise.case_type, AttorneyExpertise.level
            )
            .where(_only(AttorneyExpertise.attorney_id, attorney_ids))
            .order_by(AttorneyExpertise.attorney_id, AttorneyExpertise.case_type)
        )
    )
    leave = _grouped(
        (attorney_id, (start, end))
        for attorney_id, start, end in session.execute(
            select(LeavePeriod.attorney_id, LeavePeriod.start_date, LeavePeriod.end_date)
            .where(_only(LeavePeriod.attorney_id, attorney_ids))
            .order_by(LeavePeriod.attorney_id, LeavePeriod.start_date)
        )
    )
    slots = slots_by_attorney(session, attorney_ids, active_only=True)
    rows = session.execute(
        select(
            Attorney.id,
            Attorney.takes_detained,
            Attorney.remote_ok,
            Attorney.travel_radius_km,
            Attorney.home_latitude,
            Attorney.home_longitude,
        )
        .where(Attorney.active.is_(True), _only(Attorney.id, attorney_ids))
        .order_by(Attorney.id)
    )
    attorneys = []
    for attorney_id, detained, remote, radius, lat, lon in rows:
        attorneys.append(
            AttorneyInput(
                id=attorney_id,
                languages=tuple(languages.get(attorney_id, ())),
                court_ids=tuple(courts.get(attorney_id, ())),
                states_admitted=tuple(states.get(attorney_id, ())),
                expertise=tuple(expertise.get(attorney_id, ())),
                free_slots=slots[attorney_id].free_slots,
                current_load=slots[attorney_id].load,
                takes_detained=detained,
                remote_ok=remote,
                travel_radius_km=float(radius),
                home_latitude=lat,
                home_longitude=lon,
                leave=tuple(leave.get(attorney_id, ())),
            )
        )
    return tuple(attorneys)


def load_problem(
    session: Session, as_of: date, settings: MatchSettings | None = None
) -> MatchProblem:
    """Everything the engine needs, read in one transaction, as of `as_of`, with the proposals
    awaiting review and the stability bonus: a run keeps them where that costs no child."""
    problem = _problem(
        session, as_of, load_children(session), load_attorneys(session), None, settings
    )
    return dataclasses.replace(
        problem, previous=awaiting_review(session), stability_bonus=stability_bonus(session)
    )


def awaiting_review(session: Session) -> tuple[PreviousProposal, ...]:
    """The proposals awaiting review: the latest successful run's, which replaced all earlier
    ones (should a child have two, its newest)."""
    newest: dict[int, PreviousProposal] = {}
    for child_id, attorney_id, run_id in session.execute(
        select(Match.child_id, Match.attorney_id, Match.run_id)
        .where(Match.status == MatchStatus.PROPOSED, Match.run_id.is_not(None))
        .order_by(Match.id)
    ):
        if run_id is not None:  # always, by the WHERE clause: for the type checker
            newest[child_id] = PreviousProposal(child_id, attorney_id, run_id)
    return tuple(newest[child_id] for child_id in sorted(newest))


def load_child_problem(
    session: Session,
    as_of: date,
    child_id: int,
    attorney_ids: Collection[int] | None = None,
    settings: MatchSettings | None = None,
) -> MatchProblem:
    """One child, whatever its case status or matches, with the active attorneys (all, or those
    of `attorney_ids`): what a decision about this child re-checks with the engine's rules.

    The caller judges the child's own state (closed case, an offer already confirmed), which
    `load_problem` leaves out before the engine sees it. No such child: a problem without one.
    """
    return load_children_problem(session, as_of, [child_id], attorney_ids, settings)


def load_children_problem(
    session: Session,
    as_of: date,
    child_ids: Collection[int],
    attorney_ids: Collection[int] | None = None,
    settings: MatchSettings | None = None,
) -> MatchProblem:
    """Some children, whatever their case status or matches, with the active attorneys (all, or
    those of `attorney_ids`): one engine instance to judge many pairs with the engine's rules in a
    fixed number of queries (a page of unmatched children and the attorneys closest to each)."""
    children = _child_inputs(session, child_ids=child_ids)
    return _problem(
        session, as_of, children, load_attorneys(session, attorney_ids), child_ids, settings
    )


def _problem(
    session: Session,
    as_of: date,
    children: tuple[ChildInput, ...],
    attorneys: tuple[AttorneyInput, ...],
    child_ids: Collection[int] | None,
    settings: MatchSettings | None,
) -> MatchProblem:
    courts = tuple(
        CourtInput(id=i, code=code, state=state, latitude=lat, longitude=lon)
        for i, code, state, lat, lon in session.execute(
            select(Court.id, Court.code, Court.state, Court.latitude, Court.longitude).order_by(
                Court.id
            )
        )
    )
    conflicts = frozenset(
        (child_id, attorney_id)
        for child_id, attorney_id in session.execute(
            select(Conflict.child_id, Conflict.attorney_id).where(
                _only(Conflict.child_id, child_ids)
            )
        )
    )
    refused = frozenset(
        (child_id, attorney_id)
        for child_id, attorney_id in session.execute(
            refused_pairs(session).where(_only(Match.child_id, child_ids))
        )
    )
    codes = {code for child in children for code in child.languages} | {
        code for attorney in attorneys for code, _ in attorney.languages
    }
    names = {
        code: name
        for code, name in session.execute(
            select(Language.code, Language.name).where(Language.code.in_(codes))
        )
    }
    return MatchProblem(
        as_of=as_of,
        courts=courts,
        children=children,
        attorneys=attorneys,
        conflicts=conflicts,
        refused=refused,
        settings=settings or load_match_settings(session),
        language_names=names,
    )


@dataclass(frozen=True)
class SaveSummary:
    proposed: int  # new proposals written
    superseded: int  # proposals of earlier runs, still unreviewed, that these replace
    dropped: int  # proposals no longer valid when saving (a decision was taken while solving)


def _still_valid_proposals(
    session: Session, result: MatchResult, run_id: int
) -> tuple[list[Proposal], list[Proposal]]:
    """The proposals that still hold now, in priority order, and those dropped.

    A coordinator may confirm, reject or match by hand while the engine solves; those decisions
    win. A sibling group loses all its proposals if one of them no longer holds. Only the
    children of the run's staged proposals are read (the short transaction stays short).
    """
    proposals = sorted(result.proposals, key=lambda p: (p.tier, -p.score, p.child_id))
    staged = select(StagedProposal.child_id).where(StagedProposal.run_id == run_id)
    spoken_for = set(
        session.scalars(
            select(Match.child_id).where(
                Match.status.in_(CAPACITY_HOLDING_STATUSES), Match.child_id.in_(staged)
            )
        )
    )
    refused = set(
        session.execute(refused_pairs(session).where(Match.child_id.in_(staged))).all()
    ) | set(
        session.execute(
            select(Conflict.child_id, Conflict.attorney_id).where(Conflict.child_id.in_(staged))
        ).all()
    )
    open_children = set(
        session.scalars(
            select(Child.id).where(Child.case_status == CaseStatus.OPEN, Child.id.in_(staged))
        )
    )
    free = {
        attorney_id: slots.free_slots
        for attorney_id, slots in slots_by_attorney(session, active_only=True).items()
    }
    group_of: dict[int, int] = {
        child_id: group_id
        for child_id, group_id in session.execute(
            select(Child.id, Child.sibling_group_id).where(
                Child.sibling_group_id.is_not(None), Child.id.in_(staged)
            )
        )
        if group_id is not None
    }
    # A sibling group is one unit: every member must still hold, and the attorney needs room for
    # all of them at once; otherwise the whole group is dropped.
    units: dict[tuple[str, int], list[Proposal]] = {}
    for proposal in proposals:
        group = group_of.get(proposal.child_id)
        key = ("group", group) if group is not None else ("child", proposal.child_id)
        units.setdefault(key, []).append(proposal)
    kept: list[Proposal] = []
    for unit in units.values():  # in priority order of each unit's most urgent member
        attorney_id = unit[0].attorney_id
        holds = all(
            p.child_id in open_children
            and p.child_id not in spoken_for
            and (p.child_id, p.attorney_id) not in refused
            and p.attorney_id == attorney_id
            for p in unit
        )
        if holds and free.get(attorney_id, 0) >= len(unit):
            free[attorney_id] -= len(unit)
            kept.extend(unit)
    kept_children = {p.child_id for p in kept}
    return kept, [p for p in proposals if p.child_id not in kept_children]


class BulkWriteError(RuntimeError):
    """Rows of a run could not be written. The message names the table and the database's error
    class and SQLSTATE only: the database's own message may quote row values (a COPY error
    quotes the whole line), and children's data must never reach a log or a page."""


def _copy_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append rows to a table with PostgreSQL's COPY, in the session's transaction: several
    times faster than INSERT for the tens of thousands of rows a national run writes. Values go
    through their column types as in an INSERT (enums, times); JSON as its text."""
    columns = list(rows[0])
    dialect = session.get_bind().dialect

    def converter(name: str) -> Callable[[Any], Any]:
        kind = table.c[name].type
        if isinstance(kind, JSON):
            return json.dumps
        return kind.bind_processor(dialect) or (lambda value: value)

    converters = [converter(name) for name in columns]
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    try:
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [convert(row[c]) for convert, c in zip(converters, columns, strict=True)]
                )
    except psycopg.Error as error:
        raise BulkWriteError(
            f"could not write {table.name}: {type(error).__name__} (SQLSTATE {error.sqlstate})"
        ) from None


def _append_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy_rows(session, table, rows)
    else:
        session.execute(insert(table), list(rows))


def stage_rows(
    session: Session, run_id: int, proposals: Sequence[Proposal], unmatched: Sequence[Unmatched]
) -> None:
    """Write part of a run's proposals (into staged_proposals) and of its unmatched children, in
    the caller's transaction, before the run takes over the review queue (`save_result`).

    Neither is seen before then: pages read unmatched children of the latest succeeded run only,
    and staged proposals only through `save_result`. Callers write a large run in several short
    transactions, so no coordinator's decision waits long on them; on PostgreSQL with COPY.
    """
    _append_rows(
        session,
        cast(Table, StagedProposal.__table__),
        [
            {
                "run_id": run_id,
                "child_id": p.child_id,
                "attorney_id": p.attorney_id,
                "tier": int(p.tier),
                "score": p.score,
                "score_parts": dict(p.score_parts),
                "explanation": p.why,
            }
            for p in proposals
        ],
    )
    _append_rows(
        session,
        cast(Table, UnmatchedChild.__table__),
        [
            {
                "run_id": run_id,
                "child_id": u.child_id,
                "tier": int(u.tier),
                "reason": u.reason.value,
                "detail": u.detail,
                "counts": dict(u.counts),
                "closest_attorney_ids": list(u.closest_attorney_ids),
            }
            for u in unmatched
        ],
    )


def discard_staged(session: Session, run_id: int) -> None:
    """Remove what a run that did not succeed staged (its proposals and unmatched children)."""
    session.execute(delete(StagedProposal).where(StagedProposal.run_id == run_id))
    session.execute(delete(UnmatchedChild).where(UnmatchedChild.run_id == run_id))


def save_result(session: Session, run: MatchRun, result: MatchResult) -> SaveSummary:
    """Replace the proposals awaiting review with this run's, in the caller's transaction; the
    run's proposals and unmatched children must be staged first (`stage_rows`).

    Set-based statements (and the replaced proposals' events from the ids the update returns,
    with COPY on PostgreSQL), never a search through the matches of past runs, so the
    transaction (which holds the replaced proposals' row locks) stays short at any size and
    after any number of nights. Confirmed, accepted, rejected, declined, expired and closed
    matches are never touched.
    """
    now = utcnow()
    reason = f"replaced by run {run.id}"
    if session.get_bind().dialect.name == "postgresql":
        # Decisions lock an attorney row first (models.decisions); holding the attorneys
        # table against row locks until this short transaction ends makes them wait here
        # instead of deadlocking with the foreign-key checks of the rows written below.
        # Plain reads go on.
        session.execute(text("LOCK TABLE attorneys IN EXCLUSIVE MODE"))
    # The status test is on the updated row itself, so a proposal a coordinator confirms at this
    # very moment is skipped (PostgreSQL re-checks it after the lock), never overwritten. The
    # rows it returns get their events: no search among every superseded match of the past.
    superseded = sorted(
        session.scalars(
            update(Match)
            .where(Match.status == MatchStatus.PROPOSED)
            .values(status=MatchStatus.SUPERSEDED, updated_at=now, reason=reason)
            .returning(Match.id)
            .execution_options(synchronize_session=False)
        )
    )
    _append_rows(
        session,
        cast(Table, MatchEvent.__table__),
        [
            {
                "match_id": match_id,
                "from_status": MatchStatus.PROPOSED,
                "to_status": MatchStatus.SUPERSEDED,
                "at": now,
                "reason": reason,
            }
            for match_id in superseded
        ],
    )
    proposals, dropped = _still_valid_proposals(session, result, run.id)
    dropped_children = [p.child_id for p in dropped]
    for start in range(0, len(dropped_children), IN_LIST_CHUNK):
        session.execute(
            delete(StagedProposal).where(
                StagedProposal.run_id == run.id,
                StagedProposal.child_id.in_(dropped_children[start : start + IN_LIST_CHUNK]),
            )
        )
    staged = StagedProposal
    session.execute(
        insert(Match).from_select(
            [
                "child_id",
                "attorney_id",
                "run_id",
                "status",
                "tier",
                "score",
                "score_parts",
                "explanation",
                "manual",
                "created_at",
                "updated_at",
            ],
            select(
                staged.child_id,
                staged.attorney_id,
                staged.run_id,
                literal(MatchStatus.PROPOSED, Match.status.type),
                staged.tier,
                staged.score,
                staged.score_parts,
                staged.explanation,
                false(),
                literal(now, Match.created_at.type),
                literal(now, Match.updated_at.type),
            )
            .where(staged.run_id == run.id)
            .order_by(staged.id),
        )
    )
    session.execute(
        insert(MatchEvent).from_select(
            ["match_id", "from_status", "to_status", "at", "reason"],
            select(
                Match.id,
                null(),
                literal(MatchStatus.PROPOSED, MatchEvent.to_status.type),
                literal(now, MatchEvent.at.type),
                literal(f"proposed by run {run.id}"),
            )
            .where(Match.run_id == run.id, Match.status == MatchStatus.PROPOSED)
            .order_by(Match.id),
        )
    )
    session.execute(delete(StagedProposal).where(StagedProposal.run_id == run.id))
    if dropped:
        session.execute(
            insert(UnmatchedChild),
            [
                {
                    "run_id": run.id,
                    "child_id": p.child_id,
                    "tier": int(p.tier),
                    "reason": CHANGED_WHILE_SOLVING,
                    "detail": (
                        "Proposed by this run, but a decision taken while it solved (a "
                        "confirmation, a rejection or the attorney's last place) made the "
                        "proposal no longer hold; the next run considers the child again."
                    ),
                    "counts": {},
                    "closest_attorney_ids": [p.attorney_id],
                }
                for p in dropped
            ],
        )
    return SaveSummary(proposed=len(proposals), superseded=len(superseded), dropped=len(dropped))


def tier_counts(counts: Mapping[Tier, int]) -> dict[str, int]:
    """Per-tier counts as JSON keys ("T1".."T4")."""
    return {f"T{int(tier)}": int(count) for tier, count in sorted(counts.items())}
