"""Accounts: server-side sign-in sessions, the throttling of failed sign-ins, one-time links
(invitation, password reset) and attorney invitations (DESIGN.md "Web", "Administration and
privacy").

Secrets are random, shown once (in a cookie or an e-mailed link) and stored only as their
sha256 hex, so a copy of the database opens no session and no link. Password hashing stays in
the web layer (`web.security.hash_password`): these functions take the hash.

Models never commit: the caller owns `with session.begin():`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from . import audit
from .base import MAX_ROW_ID, utcnow
from .entities import (
    Attorney,
    AuditEvent,
    OneTimeToken,
    Role,
    TokenPurpose,
    User,
    UserSession,
    VolunteerStatus,
)
from .outbox import queue_email

# A password hash no password matches (werkzeug's check refuses anything without "$"): an
# invited account cannot sign in until its owner chooses a password through the link.
UNUSABLE_PASSWORD = "!unusable"
TOKEN_LIFETIMES = {TokenPurpose.INVITE: timedelta(hours=72), TokenPurpose.RESET: timedelta(hours=1)}
# More reset links than this for one account within the hour are not sent (the page answers
# the same), so nobody can flood someone's inbox through /forgot-password.
MAX_RESETS_PER_HOUR = 3
# A session's last_seen_at is written at most this often (not on every request).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
# Longer strings are no secret of ours; refusing them early keeps lookups cheap.
MAX_SECRET_LENGTH = 128


def new_secret() -> str:
    """A random URL-safe secret (256 bits)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What the database keeps of a secret: its sha256 hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def has_usable_password(user: User) -> bool:
    return user.password_hash != UNUSABLE_PASSWORD


def normalise_email(email: str) -> str:
    """Emails are stored and compared trimmed and in lower case."""
    return email.strip().lower()


# --- throttling failed sign-ins --------------------------------------------------------------

# After this many failed sign-ins for one email address within the window, that address is
# refused until the window has passed (or an administrator unlocks it), whatever the password:
# guessing stays slow.
MAX_FAILED_SIGN_INS = 5
FAILED_SIGN_IN_WINDOW = timedelta(minutes=15)
# The audit trail is the record of attempts: events on ("sign_in", account_key(address)).
SIGN_IN_ENTITY = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_UNLOCKED = "sign_in_unlocked"


def account_key(email: str) -> str:
    """The audit trail's key for sign-in attempts at one address (a hash: no email is stored)."""
    return hashlib.sha256(normalise_email(email).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def recent_failures_by_key(session: Session, keys: list[str]) -> dict[str, int]:
    """Failed sign-ins that count now, per key of `keys` (keys without any left out): those
    within FAILED_SIGN_IN_WINDOW and after the key's latest unlock."""
    if not keys:
        return {}
    unlock = aliased(AuditEvent)
    latest_unlock = (
        select(func.max(unlock.id))
        .where(
            unlock.entity_type == SIGN_IN_ENTITY,
            unlock.entity_id == AuditEvent.entity_id,
            unlock.action == SIGN_IN_UNLOCKED,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(AuditEvent.entity_id, func.count())
        .where(
            AuditEvent.entity_type == SIGN_IN_ENTITY,
            AuditEvent.entity_id.in_(keys),
            AuditEvent.action == SIGN_IN_FAILED,
            AuditEvent.at >= utcnow() - FAILED_SIGN_IN_WINDOW,
            # Ids, not times: an unlock and a failure in one clock tick are still ordered.
            AuditEvent.id > func.coalesce(latest_unlock, 0),
        )
        .group_by(AuditEvent.entity_id)
    ).all()
    return {str(key): int(count) for key, count in rows}


def recent_failures(session: Session, key: str) -> int:
    """Failed sign-ins at the address of `key` that count now."""
    return recent_failures_by_key(session, [key]).get(key, 0)


def is_throttled(failures: int) -> bool:
    """Whether that many failed sign-ins lock the address."""
    return failures >= MAX_FAILED_SIGN_INS


# --- sessions --------------------------------------------------------------------------------


def start_session(session: Session, user: User) -> str:
    """Open a server-side session for `user`; returns the cookie id "<session id>.<secret>"."""
    secret = new_secret()
    row = UserSession(user_id=user.id, token_hash=secret_hash(secret))
    session.add(row)
    session.flush()
    return f"{row.id}.{secret}"


def _split_cookie_id(cookie_id: str) -> tuple[int, str] | None:
    number, dot, secret = cookie_id.partition(".")
    if not dot or not number.isdigit() or len(number) > 18 or not secret:
        return None
    if len(secret) > MAX_SECRET_LENGTH:
        return None
    return int(number), secret


def session_id_of(cookie_id: str) -> int | None:
    """The UserSession id a cookie id names (not checked against the database)."""
    parts = _split_cookie_id(cookie_id)
    return parts[0] if parts else None


def find_session_user(session: Session, cookie_id: str) -> User | None:
    """The active user of a live session named by `cookie_id`; None for anything else.

    Revoked sessions, switched-off accounts and wrong secrets are all refused; the secret is
    compared in constant time.
    """
    parts = _split_cookie_id(cookie_id)
    if parts is None:
        return None
    session_id, secret = parts
    if session_id > MAX_ROW_ID:
        return None
    # One statement per request: the session row with its account.
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == session_id)
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    if not hmac.compare_digest(row.token_hash, secret_hash(secret)):
        return None
    now = utcnow()
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    return user


def revoke_session(session: Session, cookie_id: str) -> None:
    """End the session named by `cookie_id` (sign-out)."""
    session_id = session_id_of(cookie_id)
    if session_id is None or session_id > MAX_ROW_ID:
        return
    row = session.get(UserSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_user_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every live session of a user except the one named by `keep`; returns how many."""
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    kept = session_id_of(keep) if keep else None
    if kept is not None:
        statement = statement.where(UserSession.id != kept)
    result = session.execute(
        statement.values(revoked_at=utcnow()), execution_options={"synchronize_session": False}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def set_password(
    session: Session, user: User, password_hash: str, *, keep_session: str | None = None
) -> int:
    """Give `user` a new password hash and end their other sessions; returns how many ended."""
    user.password_hash = password_hash
    return revoke_user_sessions(session, user.id, keep=keep_session)


# --- one-time links --------------------------------------------------------------------------


class TokenProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class TokenRefused(Exception):
    """A link that cannot be used, with why (the page tells the person what to do)."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def create_token(
    session: Session, user: User, purpose: TokenPurpose, *, now: datetime | None = None
) -> str:
    """A one-time link secret for `user` (its hash stored); lives TOKEN_LIFETIMES[purpose]."""
    now = now or utcnow()
    secret = new_secret()
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=secret_hash(secret),
            created_at=now,
            expires_at=now + TOKEN_LIFETIMES[purpose],
        )
    )
    return secret


def check_token(session: Session, secret: str) -> OneTimeToken:
    """The token of a link secret if it can still be used; else TokenRefused saying why."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        raise TokenRefused(TokenProblem.UNKNOWN)
    hashed = secret_hash(secret)
    token = session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == hashed))
    if token is None:
        raise TokenRefused(TokenProblem.UNKNOWN)
    if token.used_at is not None:
        raise TokenRefused(TokenProblem.USED)
    if token.expires_at <= utcnow():
        raise TokenRefused(TokenProblem.EXPIRED)
    return token


def void_open_tokens(session: Session, user_id: int, purpose: TokenPurpose) -> None:
    """Mark a user's unused links of `purpose` used, so only the newest one works."""
    session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def use_token(session: Session, secret: str, password_hash: str) -> tuple[User, TokenPurpose]:
    """Set the password of the link's account, spend the link (and the account's other open
    links) and end every session of the account; returns the account and the link's purpose.
    TokenRefused (nothing changed) when the link cannot be used."""
    token = check_token(session, secret)
    user = session.get_one(User, token.user_id)
    if not user.active:
        raise TokenRefused(TokenProblem.UNKNOWN)
    # Compare-and-set, so two forms sent at once with one link cannot both use it.
    spent = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise TokenRefused(TokenProblem.USED)
    for purpose in TokenPurpose:
        void_open_tokens(session, user.id, purpose)
    set_password(session, user, password_hash)
    return user, token.purpose


def link_to(base_url: str, secret: str) -> str:
    """The address of the page that takes a one-time link (`/reset/<token>`)."""
    return f"{base_url.rstrip('/')}/reset/{secret}"


def fresh_link(session: Session, user: User, purpose: TokenPurpose, base_url: str) -> str:
    """A new one-time link of `purpose` for the user; the open ones of that purpose stop working
    (only the link of the latest e-mail is good)."""
    void_open_tokens(session, user.id, purpose)
    return link_to(base_url, create_token(session, user, purpose))


# --- password reset --------------------------------------------------------------------------


def request_password_reset(session: Session, email: str, base_url: str) -> bool:
    """Queue a reset e-mail when `email` (already normalised) names an active account.

    Returns whether one was queued; the caller answers the same either way.
    """
    user = session.scalar(select(User).where(func.lower(User.email) == email).limit(1))
    if user is None or not user.active:
        return False
    recent = session.scalar(
        select(func.count())
        .select_from(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == TokenPurpose.RESET,
            OneTimeToken.created_at >= utcnow() - timedelta(hours=1),
        )
    )
    if (recent or 0) >= MAX_RESETS_PER_HOUR:
        audit.record(session, "anonymous", "password_reset_throttled", "user", user.id)
        return False
    link = fresh_link(session, user, TokenPurpose.RESET, base_url)
    queue_email(
        session,
        to=user.email,
        subject="Reset your Counsel Match password",
        body=(
            "Someone asked to reset the password of your Counsel Match account.\n\n"
            "To choose a new password, open this link within an hour:\n"
            f"{link}\n\n"
            "The link works once. If you did not ask for it, ignore this message: your password "
            "stays as it is.\n"
        ),
        kind="reset",
    )
    audit.record(session, "anonymous", "password_reset_requested", "user", user.id)
    return True


# --- invitations -----------------------------------------------------------------------------


class InvitationRefused(Exception):
    """An invitation that cannot be sent, with a message a person can act on."""


@dataclass(frozen=True)
class BulkInvitation:
    invited: int
    refused: dict[int, str]  # attorney id -> why


def _account_for(session: Session, attorney: Attorney) -> User:
    """The attorney's account, made (unusable password) if there is none yet."""
    user = session.scalar(select(User).where(User.attorney_id == attorney.id))
    email = attorney.email.strip().lower()
    if user is None:
        if not email:
            raise InvitationRefused(
                f"Attorney {attorney.external_id} has no e-mail address; add one to the profile "
                "first."
            )
        clash = session.scalar(select(User).where(func.lower(User.email) == email))
        if clash is not None:
            raise InvitationRefused(
                f"The address {email} already belongs to another account (user {clash.id}); "
                "ask an administrator to link it to this attorney or correct the profile."
            )
        user = User(
            email=email,
            password_hash=UNUSABLE_PASSWORD,
            role=Role.ATTORNEY,
            attorney_id=attorney.id,
        )
        session.add(user)
        session.flush()
        return user
    if not user.active:
        raise InvitationRefused(
            f"The account of attorney {attorney.external_id} is switched off; an administrator "
            "must switch it on before an invitation can be sent."
        )
    if has_usable_password(user):
        raise InvitationRefused(
            f"Attorney {attorney.external_id} already has an active account ({user.email}); "
            "they can sign in, or use 'Forgotten your password?' on the sign-in page."
        )
    return user


def invite_attorney(
    session: Session, attorney_id: int, invited_by: User | str, base_url: str
) -> User:
    """Make (or reuse) the attorney's account and queue an invitation with a 72-hour link.

    InvitationRefused (nothing changed) for an unknown, inactive or pending profile, or an
    account that is already in use or switched off. The e-mail carries no child data.
    """
    attorney = session.get(Attorney, attorney_id)
    if attorney is None:
        raise InvitationRefused(f"There is no attorney {attorney_id}.")
    if attorney.volunteer_status == VolunteerStatus.PENDING:
        raise InvitationRefused(
            f"Attorney {attorney.external_id} volunteered and is waiting for approval; approve "
            "the profile before inviting them."
        )
    if not attorney.active:
        raise InvitationRefused(
            f"Attorney {attorney.external_id} is inactive; make the profile active before "
            "inviting them."
        )
    user = _account_for(session, attorney)  # refuses before changing anything
    link = fresh_link(session, user, TokenPurpose.INVITE, base_url)
    queue_email(
        session,
        to=user.email,
        subject="You are invited to Counsel Match",
        body=(
            f"Dear {attorney.name},\n\n"
            "You are invited to the Counsel Match attorney portal, where you see the cases "
            "offered to you, accept or decline them, and keep your availability up to date.\n\n"
            f"To choose your password, open this link within 72 hours:\n{link}"
            "\n\nThe link works once. If it has expired, ask your coordinator for a new one or "
            "use 'Forgotten your password?' on the sign-in page.\n"
        ),
        kind="invite",
    )
    audit.record(session, invited_by, "invite_attorney", "attorney", attorney.id, user_id=user.id)
    return user


def attorneys_to_invite(session: Session) -> list[int]:
    """Ids of active, non-pending attorney profiles that have no account yet."""
    has_account = select(User.id).where(User.attorney_id == Attorney.id).exists()
    return list(
        session.scalars(
            select(Attorney.id)
            .where(
                Attorney.active.is_(True),
                ~has_account,
                (Attorney.volunteer_status.is_(None))
                | (Attorney.volunteer_status != VolunteerStatus.PENDING),
            )
            .order_by(Attorney.id)
        )
    )


def invite_uninvited_attorneys(
    session: Session, invited_by: User | str, base_url: str
) -> BulkInvitation:
    """Invite every active attorney profile without an account; refusals are listed, not
    raised (an address already used by another account, say)."""
    invited = 0
    refused: dict[int, str] = {}
    for attorney_id in attorneys_to_invite(session):
        try:
            invite_attorney(session, attorney_id, invited_by, base_url)
        except InvitationRefused as refusal:
            refused[attorney_id] = str(refusal)
        else:
            invited += 1
    return BulkInvitation(invited=invited, refused=refused)
