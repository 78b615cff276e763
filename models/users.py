"""Administrators' decisions on accounts (DESIGN.md "Administration and privacy"): invite,
change the role, link an attorney profile, deactivate and reactivate, unlock an address
throttled after failed sign-ins.

Each decision is refused with `AccountRefused` (a message a person can act on, and the form
field it is about) before anything changes, and is recorded in the audit trail with ids and
codes only. Models never commit: the caller owns `with session.begin():`.

The program always keeps an administrator who can sign in: the last active admin with a
password cannot be deactivated or given another role, by someone else or by themselves. Two
admins deciding at once are serialised by a lock on the admin rows taken before anything is
read (as models.decisions does for an attorney's slots).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import Session

from . import accounts, audit
from .entities import Attorney, Role, TokenPurpose, User
from .imports.cells import Invalid, parse_email
from .outbox import queue_email

MAX_EMAIL_LENGTH = 254

# Where an account stands: what the list shows and filters on.
ACTIVE, INVITED, DEACTIVATED = "active", "invited", "deactivated"
ACCOUNT_STATUSES = (ACTIVE, INVITED, DEACTIVATED)

_ROLE_WORDS = {
    Role.COORDINATOR: "a coordinator",
    Role.ATTORNEY: "an attorney",
    Role.PROGRAM_LEAD: "a program lead",
    Role.ADMIN: "an administrator",
}


class AccountRefused(Exception):
    """A decision on an account that does not hold; nothing was changed. `field` names the form
    field the message is about (None: the account as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def account_status() -> ColumnElement[str]:
    """The account's status in SQL: deactivated, invited (no password chosen yet) or active."""
    return case(
        (User.active.is_(False), DEACTIVATED),
        (User.password_hash == accounts.UNUSABLE_PASSWORD, INVITED),
        else_=ACTIVE,
    )


# --- reading what was typed ------------------------------------------------------------------


def read_email(typed: str) -> str:
    """A typed address, normalised; AccountRefused (field "email") when it is not one."""
    email = accounts.normalise_email(typed)
    if "\x00" in email:
        raise AccountRefused("Remove the invisible NUL character from the address.", "email")
    if len(email) > MAX_EMAIL_LENGTH:
        raise AccountRefused(
            f"An email address has at most {MAX_EMAIL_LENGTH} characters; this one has "
            f"{len(email)}.",
            "email",
        )
    try:
        return parse_email(email)
    except Invalid:
        raise AccountRefused(
            f"'{email}' is not an email address; write it as name@example.org.", "email"
        ) from None


def _attorney_by_external_id(session: Session, external_id: str) -> Attorney:
    found = session.scalar(select(Attorney).where(Attorney.external_id == external_id))
    if found is None:
        raise AccountRefused(
            f"No attorney profile has the external id '{external_id}'; check it on the "
            "attorneys' list.",
            "attorney",
        )
    return found


def _refuse_if_linked_elsewhere(session: Session, attorney: Attorney, user_id: int | None) -> None:
    linked = session.scalar(select(User).where(User.attorney_id == attorney.id))
    if linked is not None and linked.id != user_id:
        raise AccountRefused(
            f"Attorney profile {attorney.external_id} already belongs to the account "
            f"{linked.email}; unlink it there first.",
            "attorney",
        )


# --- locking and the last admin --------------------------------------------------------------


def _lock_admins(session: Session) -> None:
    """Serialise decisions that could leave no admin: lock the admin rows (PostgreSQL), or the
    database for writing with a first statement that writes (SQLite: see models.decisions)."""
    admins = User.role == Role.ADMIN
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(User)
            .where(admins)
            .values(role=User.role)
            .execution_options(synchronize_session=False)
        )
        return
    session.execute(select(User.id).where(admins, User.active.is_(True)).with_for_update())


def _can_administer(user: User) -> bool:
    """An admin who can sign in now: active, with a password chosen."""
    return user.role == Role.ADMIN and user.active and accounts.has_usable_password(user)


def _refuse_losing_the_last_admin(session: Session, user: User, by: User, change: str) -> None:
    if not _can_administer(user):
        return
    admins = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.role == Role.ADMIN,
            User.active.is_(True),
            User.password_hash != accounts.UNUSABLE_PASSWORD,
        )
    )
    if (admins or 0) <= 1:
        who = "you are" if user.id == by.id else f"{user.email} is"
        raise AccountRefused(
            f"Cannot {change}: {who} the last active administrator, and the program needs one. "
            "Invite or reactivate another administrator first."
        )


def _locked_account(session: Session, user_id: int) -> User:
    """Lock the admin rows, then read the account as it is now; LookupError if there is none."""
    _lock_admins(session)
    user = session.scalars(
        select(User).where(User.id == user_id).execution_options(populate_existing=True)
    ).one_or_none()
    if user is None:
        raise LookupError(f"There is no account {user_id}.")
    return user


# --- invitations -----------------------------------------------------------------------------


def invitation_hours() -> int:
    """How long an invitation link works, in hours."""
    return int(accounts.TOKEN_LIFETIMES[TokenPurpose.INVITE].total_seconds() // 3600)


def _queue_invitation(session: Session, user: User, base_url: str) -> None:
    """A fresh invitation link (earlier ones stop working), e-mailed to the account."""
    link = accounts.fresh_link(session, user, TokenPurpose.INVITE, base_url)
    hours = invitation_hours()
    queue_email(
        session,
        to=user.email,
        subject="You are invited to Counsel Match",
        body=(
            f"You are invited to Counsel Match, the program's matching workspace, as "
            f"{_ROLE_WORDS[Role(user.role)]}.\n\n"
            f"To choose your password, open this link within {hours} hours:\n{link}\n\n"
            "The link works once. If it has expired, ask your administrator for a new one or "
            "use 'Forgotten your password?' on the sign-in page.\n"
        ),
        kind="invite",
    )


def invite_user(
    session: Session,
    *,
    email: str,
    role: Role,
    invited_by: User,
    base_url: str,
    attorney_external_id: str | None = None,
) -> User:
    """Make an account of `role` for `email` (no password yet) and e-mail it a one-time link to
    choose one; an attorney account may be linked to a profile at once. AccountRefused for an
    address that is not one or already has an account, or a profile that cannot be linked."""
    address = read_email(email)
    existing = session.scalar(select(User).where(func.lower(User.email) == address))
    if existing is not None:
        raise AccountRefused(
            f"{address} already has an account ({existing.role.value}); find it in the list "
            "below to change it.",
            "email",
        )
    attorney = None
    if attorney_external_id:
        if role != Role.ATTORNEY:
            raise AccountRefused(
                "Only an attorney account is linked to an attorney profile; choose the role "
                "Attorney or leave the profile empty.",
                "attorney",
            )
        attorney = _attorney_by_external_id(session, attorney_external_id)
        _refuse_if_linked_elsewhere(session, attorney, None)
    user = User(
        email=address,
        password_hash=accounts.UNUSABLE_PASSWORD,
        role=role,
        attorney_id=attorney.id if attorney else None,
    )
    session.add(user)
    session.flush()
    _queue_invitation(session, user, base_url)
    audit.record(
        session,
        invited_by,
        "invite_user",
        "user",
        user.id,
        role=role.value,
        attorney_id=attorney.id if attorney else None,
    )
    return user


def resend_invitation(session: Session, user_id: int, by: User, base_url: str) -> User:
    """A new invitation for an account whose owner has not chosen a password yet."""
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise LookupError(f"There is no account {user_id}.")
    if not user.active:
        raise AccountRefused(
            f"The account {user.email} is deactivated; reactivate it before inviting again."
        )
    if accounts.has_usable_password(user):
        raise AccountRefused(
            f"{user.email} has already chosen a password; if it is forgotten, they can use "
            "'Forgotten your password?' on the sign-in page."
        )
    _queue_invitation(session, user, base_url)
    audit.record(session, by, "invitation_resent", "user", user.id)
    return user


# --- role and attorney profile ---------------------------------------------------------------


def change_role(session: Session, user_id: int, role: Role, by: User) -> User:
    """Give the account another role (effective at its next request)."""
    user = _locked_account(session, user_id)
    before = Role(user.role)
    if role == before:
        raise AccountRefused(f"{user.email} is already {_ROLE_WORDS[role]}.", "role")
    if user.attorney_id is not None and role != Role.ATTORNEY:
        raise AccountRefused(
            f"{user.email} is linked to an attorney profile; unlink it first (leave the profile "
            "empty below), then change the role.",
            "role",
        )
    if role != Role.ADMIN:
        _refuse_losing_the_last_admin(session, user, by, f"make {user.email} {_ROLE_WORDS[role]}")
    user.role = role
    audit.record(session, by, "change_role", "user", user.id, before=before.value, after=role.value)
    return user


def link_attorney(
    session: Session, user_id: int, attorney_external_id: str | None, by: User
) -> Attorney | None:
    """Link an attorney account to the profile `attorney_external_id` (None or "": unlink);
    returns the profile now linked."""
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise LookupError(f"There is no account {user_id}.")
    if user.role != Role.ATTORNEY:
        raise AccountRefused(
            f"{user.email} is {_ROLE_WORDS[Role(user.role)]}: only attorney accounts are linked "
            "to an attorney profile.",
            "attorney",
        )
    before = user.attorney_id
    if not attorney_external_id:
        if before is None:
            raise AccountRefused(f"{user.email} is linked to no attorney profile.", "attorney")
        user.attorney_id = None
        audit.record(session, by, "unlink_attorney", "user", user.id, attorney_id=before)
        return None
    attorney = _attorney_by_external_id(session, attorney_external_id)
    if attorney.id == before:
        raise AccountRefused(
            f"{user.email} is already linked to attorney profile {attorney.external_id}.",
            "attorney",
        )
    _refuse_if_linked_elsewhere(session, attorney, user.id)
    user.attorney_id = attorney.id
    audit.record(
        session, by, "link_attorney", "user", user.id, attorney_id=attorney.id, before=before
    )
    return attorney


# --- deactivate, reactivate ------------------------------------------------------------------


def deactivate(session: Session, user_id: int, by: User) -> int:
    """Switch the account off: its sessions end at once and its open links stop working; its
    history stays. Returns how many sessions were ended."""
    user = _locked_account(session, user_id)
    if not user.active:
        raise AccountRefused(f"The account {user.email} is already deactivated.")
    _refuse_losing_the_last_admin(session, user, by, f"deactivate {user.email}")
    user.active = False
    ended = accounts.revoke_user_sessions(session, user.id)
    for purpose in TokenPurpose:
        accounts.void_open_tokens(session, user.id, purpose)
    audit.record(session, by, "deactivate_user", "user", user.id, sessions_ended=ended)
    return ended


def reactivate(session: Session, user_id: int, by: User) -> User:
    """Switch the account on again (with the password it had, if any)."""
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise LookupError(f"There is no account {user_id}.")
    if user.active:
        raise AccountRefused(f"The account {user.email} is already active.")
    user.active = True
    audit.record(session, by, "reactivate_user", "user", user.id)
    return user


# --- unlocking a throttled address -----------------------------------------------------------


def unlock_address(session: Session, email: str, by: User) -> int:
    """Let the address sign in again at once: the failed sign-ins counted against it stop
    counting (an audited unlock, keyed by the address's hash). Returns how many there were."""
    address = accounts.normalise_email(email)
    if "\x00" in address:
        raise AccountRefused("Remove the invisible NUL character from the address.", "email")
    key = accounts.account_key(address)
    failures = accounts.recent_failures(session, key)
    if failures == 0:
        raise AccountRefused(
            f"No failed sign-in counts against {address} now, so it is not locked: check the "
            "spelling, or the person may have waited the lock out already.",
            "email",
        )
    owner = session.scalar(select(User.id).where(func.lower(User.email) == address))
    audit.record(
        session,
        by,
        accounts.SIGN_IN_UNLOCKED,
        accounts.SIGN_IN_ENTITY,
        key,
        failures=failures,
        user_id=owner,
    )
    return failures
