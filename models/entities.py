"""The data model of DESIGN.md "Data": typed SQLAlchemy 2.0 entities.

Models never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.rules import CaseType, ExpertiseLevel, LanguageLevel

from .base import Base, utcnow


def str_enum(enum_cls: type[StrEnum], name: str | None = None) -> Enum:
    """A portable enumerated column: VARCHAR plus a CHECK of the allowed values.

    `name` names the CHECK; give one when a table has two columns of the same enum.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda e: [m.value for m in e],
        name=name or enum_cls.__name__.lower(),
        validate_strings=True,
    )


class Role(StrEnum):
    COORDINATOR = "coordinator"
    ATTORNEY = "attorney"
    PROGRAM_LEAD = "program_lead"
    ADMIN = "admin"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REJECTED = "rejected"
    CLOSED = "closed"
    SUPERSEDED = "superseded"  # a proposal replaced by a later run before anyone reviewed it
    EXPIRED = "expired"  # an offer the attorney did not answer in time


class CaseOutcome(StrEnum):
    """How a represented child's case ended (DESIGN.md "Closing a case")."""

    RELIEF_GRANTED = "relief_granted"  # asylum, SIJS, T or U visa
    TERMINATED = "terminated"  # proceedings dismissed or terminated
    VOLUNTARY_DEPARTURE = "voluntary_departure"
    REMOVAL_ORDERED = "removal_ordered"
    TRANSFERRED = "transferred"  # to other counsel
    WITHDRAWN = "withdrawn"


class VolunteerStatus(StrEnum):
    """A profile an attorney offered through /volunteer: never matched until approved."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class TokenPurpose(StrEnum):
    INVITE = "invite"  # set a first password
    RESET = "reset"  # forgotten password


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first try or a retry
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; an admin may resend


class RunStatus(StrEnum):
    QUEUED = "queued"  # requested on the web ("Run now"), waiting for the clock process
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a request withdrawn before the clock started it


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# --- reference data -------------------------------------------------------------------------


class Court(Base):
    __tablename__ = "courts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2), index=True)
    detained_only: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[float]
    longitude: Mapped[float]
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )


class Language(Base):
    """One language of the ISO 639-3 catalogue, with the organisation's interpreter setting."""

    __tablename__ = "languages"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    interpreter_available: Mapped[bool] = mapped_column(default=False)
    # Languages seen in this field (FACTS.md) are listed first in pickers.
    common: Mapped[bool] = mapped_column(default=False)


class LanguageAlias(Base):
    """A spelling people write, folded (case, accents, apostrophes), pointing at one language."""

    __tablename__ = "language_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    folded: Mapped[str] = mapped_column(String(150), unique=True)
    spelling: Mapped[str] = mapped_column(String(150))
    language_id: Mapped[int] = mapped_column(ForeignKey("languages.id"), index=True)

    language: Mapped[Language] = relationship()


# --- children -------------------------------------------------------------------------------


class SiblingGroup(Base):
    __tablename__ = "sibling_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)


class ChildLanguage(Base):
    """A further language the child speaks, besides the primary one."""

    __tablename__ = "child_languages"

    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), primary_key=True)
    language_id: Mapped[int] = mapped_column(ForeignKey("languages.id"), primary_key=True)

    language: Mapped[Language] = relationship()


# Portable "only digits" test: SQLite has no regular expressions, so strip each digit.
_DIGITS_REMOVED = "a_number"
for _digit in "0123456789":
    _DIGITS_REMOVED = f"replace({_DIGITS_REMOVED}, '{_digit}', '')"


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    a_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    # None only once the record is erased (models/erasure.py), which keeps the birth year.
    birth_date: Mapped[date | None]
    birth_year: Mapped[int | None]
    sex: Mapped[str] = mapped_column(String(1))
    country_of_origin: Mapped[str] = mapped_column(String(100))
    primary_language_id: Mapped[int] = mapped_column(ForeignKey("languages.id"), index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    case_type: Mapped[CaseType] = mapped_column(str_enum(CaseType))
    next_hearing_date: Mapped[date | None] = mapped_column(index=True)
    detained: Mapped[bool] = mapped_column(default=False)
    sibling_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sibling_groups.id"), index=True
    )
    intake_date: Mapped[date]
    case_status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus), default=CaseStatus.OPEN, index=True
    )
    # When the personal data were erased (retention, or on request): names empty, no A-number.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    primary_language: Mapped[Language] = relationship()
    other_languages: Mapped[list[ChildLanguage]] = relationship(cascade="all, delete-orphan")
    court: Mapped[Court] = relationship()
    sibling_group: Mapped[SiblingGroup | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            f"a_number IS NULL OR (length(a_number) = 9 AND {_DIGITS_REMOVED} = '')",
            name="a_number_nine_digits",
        ),
        CheckConstraint("sex IN ('F', 'M', 'X')", name="sex_values"),
        CheckConstraint(
            "(erased_at IS NULL AND birth_date IS NOT NULL) OR "
            "(erased_at IS NOT NULL AND birth_date IS NULL AND a_number IS NULL)",
            name="erased_holds_no_personal_data",
        ),
    )


# --- attorneys ------------------------------------------------------------------------------


class AttorneyLanguage(Base):
    __tablename__ = "attorney_languages"

    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"), primary_key=True)
    language_id: Mapped[int] = mapped_column(ForeignKey("languages.id"), primary_key=True)
    level: Mapped[LanguageLevel] = mapped_column(str_enum(LanguageLevel))

    language: Mapped[Language] = relationship()


class AttorneyCourt(Base):
    __tablename__ = "attorney_courts"

    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"), primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), primary_key=True, index=True)

    court: Mapped[Court] = relationship()


class AttorneyState(Base):
    """A state bar the attorney is admitted to (for remote hearings)."""

    __tablename__ = "attorney_states"

    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(2), primary_key=True)


class AttorneyExpertise(Base):
    __tablename__ = "attorney_expertise"

    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"), primary_key=True)
    case_type: Mapped[CaseType] = mapped_column(str_enum(CaseType), primary_key=True)
    level: Mapped[ExpertiseLevel] = mapped_column(str_enum(ExpertiseLevel))


class LeavePeriod(Base):
    __tablename__ = "leave_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]

    __table_args__ = (CheckConstraint("end_date >= start_date", name="leave_end_after_start"),)


class Attorney(Base):
    __tablename__ = "attorneys"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    firm: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(default=1)
    # Cases the attorney already carries outside this system (the import's `active_cases`);
    # active cases are these plus accepted matches (models/capacity.py).
    imported_active_cases: Mapped[int] = mapped_column(default=0)
    takes_detained: Mapped[bool] = mapped_column(default=False)
    remote_ok: Mapped[bool] = mapped_column(default=False)
    travel_radius_km: Mapped[int] = mapped_column(default=0)
    home_latitude: Mapped[float | None]
    home_longitude: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True, index=True)
    # Set for a profile offered through /volunteer (inactive until a coordinator approves it).
    volunteer_status: Mapped[VolunteerStatus | None] = mapped_column(str_enum(VolunteerStatus))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    languages: Mapped[list[AttorneyLanguage]] = relationship(cascade="all, delete-orphan")
    courts: Mapped[list[AttorneyCourt]] = relationship(cascade="all, delete-orphan")
    states_admitted: Mapped[list[AttorneyState]] = relationship(cascade="all, delete-orphan")
    expertise: Mapped[list[AttorneyExpertise]] = relationship(cascade="all, delete-orphan")
    leave_periods: Mapped[list[LeavePeriod]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("imported_active_cases >= 0", name="imported_active_cases_non_negative"),
        CheckConstraint("travel_radius_km >= 0", name="travel_radius_non_negative"),
        CheckConstraint(
            "(home_latitude IS NULL) = (home_longitude IS NULL)", name="home_both_or_neither"
        ),
    )


class Conflict(Base):
    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("attorney_id", "child_id", name="uq_conflict_pair"),)


# --- matching -------------------------------------------------------------------------------


class MatchRun(Base):
    """One solver run: when, who or what started it, what it saw and found."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | command | web
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    as_of: Mapped[date]
    # A requested run (Run now) was asked for at requested_at; started_at is when the clock
    # picked it up (until then, the request's time), so its duration is the solve's.
    requested_at: Mapped[datetime | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), default=RunStatus.RUNNING)
    # loading | solving | saving, while the run is going on
    stage: Mapped[str | None] = mapped_column(String(20))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    matched_per_tier: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    baseline_per_tier: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    objective: Mapped[float | None]
    bound: Mapped[float | None]
    gap: Mapped[float | None]
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def has_started(self) -> bool:
        """False for a request still waiting for the clock or cancelled before it started: its
        started_at is only the request's time, so it has no start or duration to show."""
        return self.status not in (RunStatus.QUEUED, RunStatus.CANCELLED)

    __table_args__ = (
        # At most one request waits for the clock: two coordinators asking at once get one.
        Index(
            "ix_match_runs_one_queued",
            "status",
            unique=True,
            postgresql_where=text("status = 'queued'"),
            sqlite_where=text("status = 'queued'"),
        ),
    )


class Match(Base):
    """A pairing of one child with one attorney, through its lifecycle (DESIGN.md)."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    attorney_id: Mapped[int] = mapped_column(ForeignKey("attorneys.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"), index=True)
    status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus))
    tier: Mapped[int | None]
    score: Mapped[float | None]
    score_parts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    # The offer's clock: confirmed (offered), reminded, answered (accepted, declined or expired).
    offered_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    outcome: Mapped[CaseOutcome | None] = mapped_column(str_enum(CaseOutcome))
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    child: Mapped[Child] = relationship()
    attorney: Mapped[Attorney] = relationship()
    events: Mapped[list[MatchEvent]] = relationship(
        back_populates="match", order_by="MatchEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_matches_attorney_status", "attorney_id", "status"),
        Index("ix_matches_child_status", "child_id", "status"),
        Index("ix_matches_status", "status"),
    )


class MatchEvent(Base):
    """One step of a match's status history."""

    __tablename__ = "match_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"), index=True)
    from_status: Mapped[MatchStatus | None] = mapped_column(str_enum(MatchStatus, "from_status"))
    to_status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus, "to_status"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    match: Mapped[Match] = relationship(back_populates="events")


# --- people, audit, reports, settings --------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    attorney_id: Mapped[int | None] = mapped_column(ForeignKey("attorneys.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    attorney: Mapped[Attorney | None] = relationship()


class UserSession(Base):
    """One signed-in session: the cookie names it, so the server can end it (sign-out,
    deactivation, a password change) whatever the browser keeps."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class OneTimeToken(Base):
    """A link sent by e-mail (invitation, password reset): used once, expires."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """An e-mail, written in the transaction of the change that causes it and sent by the clock
    process. Never holds a child's name, A-number or birth date."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # "offer", "invite", "reset", ...
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class AuditEvent(Base):
    """Who did what to which record, when. Details never hold child names or A-numbers."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(254))  # the user's email, or "cli", "scheduler"
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)


class ReportSnapshot(Base):
    __tablename__ = "report_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """One organisation setting (weights, schedule); read through models.settings."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UnmatchedChild(Base):
    """Why a run left one child without a proposal, with the filter counts behind it."""

    __tablename__ = "unmatched_children"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    tier: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    closest_attorney_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    __table_args__ = (
        UniqueConstraint("run_id", "child_id", name="uq_unmatched_run_child"),
        Index("ix_unmatched_children_run_reason", "run_id", "reason"),
    )


class StagedProposal(Base):
    """A run's proposal written before the run takes over the review queue (jobs.matching).

    The long writes of a large run land here, in short transactions that lock nothing a
    coordinator's decision needs (no foreign key to children or attorneys, whose rows decisions
    lock); one short transaction then moves them into `matches` and empties this table of the
    run's rows. Nothing else reads it.
    """

    __tablename__ = "staged_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"), index=True)
    child_id: Mapped[int]
    attorney_id: Mapped[int]
    tier: Mapped[int]
    score: Mapped[float]
    score_parts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")


class RunLock(Base):
    """The one-run-at-a-time lock on SQLite (PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[int | None]
    holder: Mapped[str] = mapped_column(String(200))  # host:pid of the process holding it
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
