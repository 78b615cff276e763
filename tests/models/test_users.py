"""Administrators' decisions on accounts (models.users), on both backends: each refusal says
why and changes nothing; each decision is audited with ids and codes; the last active admin
stays, even when two admins deactivate each other at once (two real sessions in threads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fixtures import factories as f
from models import accounts, users
from models.base import utcnow
from models.db import Database
from models.entities import AuditEvent, OneTimeToken, OutboxMessage, Role, User, UserSession
from models.users import AccountRefused
from tests.models.races import race

BASE_URL = "https://counsel.example"


@contextmanager
def transaction(session) -> Iterator[None]:
    """A decision's own transaction, as a view opens it (ending the test's reads before it)."""
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield


def admin(email: str = "admin@example.org", **fields) -> User:
    return f.UserFactory(role=Role.ADMIN, email=email, **fields)


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- invitations -----------------------------------------------------------------------------


def test_invite_makes_an_account_without_password_and_mails_a_link(factories):
    boss = admin()
    factories.commit()
    with transaction(factories):
        user = users.invite_user(
            factories,
            email="  New.Coordinator@Example.ORG ",
            role=Role.COORDINATOR,
            invited_by=boss,
            base_url=BASE_URL,
        )
    assert (user.email, user.role, user.active) == (
        "new.coordinator@example.org",
        Role.COORDINATOR,
        True,
    )
    assert not accounts.has_usable_password(user)
    [message] = factories.scalars(select(OutboxMessage))
    assert (message.to_address, message.kind) == ("new.coordinator@example.org", "invite")
    assert f"{BASE_URL}/reset/" in message.body and "a coordinator" in message.body
    [token] = factories.scalars(select(OneTimeToken))
    assert token.expires_at - token.created_at == timedelta(hours=72)
    [event_] = events(factories, "invite_user")
    assert (event_.actor, event_.entity_id) == ("admin@example.org", str(user.id))
    assert event_.details == {"role": "coordinator", "attorney_id": None}


def test_invite_links_an_attorney_profile(factories):
    boss = admin()
    attorney = f.AttorneyFactory(external_id="A-00012")
    factories.commit()
    with transaction(factories):
        user = users.invite_user(
            factories,
            email="ana@firm.example",
            role=Role.ATTORNEY,
            invited_by=boss,
            base_url=BASE_URL,
            attorney_external_id="A-00012",
        )
    assert user.attorney_id == attorney.id


@pytest.mark.parametrize(
    ("email", "role", "external_id", "field", "message"),
    [
        ("taken@example.org", Role.COORDINATOR, None, "email", "already has an account"),
        ("TAKEN@example.org ", Role.ADMIN, None, "email", "already has an account"),
        ("not-an-address", Role.COORDINATOR, None, "email", "is not an email address"),
        ("a b@example.org", Role.COORDINATOR, None, "email", "is not an email address"),
        ("a\x00@example.org", Role.COORDINATOR, None, "email", "NUL character"),
        ("a@" + "x" * 250 + ".org", Role.COORDINATOR, None, "email", "at most 254"),
        ("n@example.org", Role.COORDINATOR, "A-1", "attorney", "Only an attorney account"),
        ("n@example.org", Role.ATTORNEY, "NOPE", "attorney", "No attorney profile has"),
        ("n@example.org", Role.ATTORNEY, "A-TAKEN", "attorney", "already belongs to"),
    ],
)
def test_invite_refusals_name_the_field_and_change_nothing(
    factories, email, role, external_id, field, message
):
    boss = admin()
    taken = f.AttorneyFactory(external_id="A-TAKEN")
    f.AttorneyFactory(external_id="A-1")
    f.UserFactory(email="taken@example.org", role=Role.ATTORNEY, attorney=taken)
    factories.commit()
    before = count(factories, User)
    with pytest.raises(AccountRefused, match=message) as refused, transaction(factories):
        users.invite_user(
            factories,
            email=email,
            role=role,
            invited_by=boss,
            base_url=BASE_URL,
            attorney_external_id=external_id,
        )
    assert refused.value.field == field
    assert count(factories, User) == before
    assert count(factories, OutboxMessage) == 0 and events(factories, "invite_user") == []


def test_invitation_again_voids_the_first_link_and_is_refused_once_a_password_is_chosen(
    factories,
):
    boss = admin()
    factories.commit()
    with transaction(factories):
        user = users.invite_user(
            factories,
            email="n@example.org",
            role=Role.PROGRAM_LEAD,
            invited_by=boss,
            base_url=BASE_URL,
        )
    with transaction(factories):
        users.resend_invitation(factories, user.id, boss, BASE_URL)
    first, second = factories.scalars(select(OneTimeToken).order_by(OneTimeToken.id))
    assert first.used_at is not None and second.used_at is None
    assert count(factories, OutboxMessage) == 2
    with transaction(factories):
        factories.get_one(User, user.id).password_hash = "pbkdf2:sha256$chosen"
    with pytest.raises(AccountRefused, match="already chosen a password"), transaction(factories):
        users.resend_invitation(factories, user.id, boss, BASE_URL)


# --- role, attorney profile ------------------------------------------------------------------


def test_change_role_is_audited_with_before_and_after(factories):
    boss = admin()
    other = f.UserFactory(email="c@example.org")
    factories.commit()
    with transaction(factories):
        users.change_role(factories, other.id, Role.PROGRAM_LEAD, boss)
    assert factories.get_one(User, other.id).role == Role.PROGRAM_LEAD
    [event_] = events(factories, "change_role")
    assert event_.details == {"before": "coordinator", "after": "program_lead"}


def test_change_role_refusals(factories):
    boss = admin()
    linked = f.UserFactory(as_attorney=True, email="att@example.org")
    factories.commit()
    with pytest.raises(AccountRefused, match="already an administrator"), transaction(factories):
        users.change_role(factories, boss.id, Role.ADMIN, boss)
    with pytest.raises(AccountRefused, match="unlink it first"), transaction(factories):
        users.change_role(factories, linked.id, Role.COORDINATOR, boss)
    with pytest.raises(LookupError), transaction(factories):
        users.change_role(factories, 2**31 - 1, Role.COORDINATOR, boss)
    assert events(factories, "change_role") == []


def test_link_and_unlink_an_attorney_profile(factories):
    boss = admin()
    account = f.UserFactory(role=Role.ATTORNEY, email="att@example.org")
    attorney = f.AttorneyFactory(external_id="A-7")
    other = f.AttorneyFactory(external_id="A-8")
    f.UserFactory(role=Role.ATTORNEY, email="b@example.org", attorney=other)
    coordinator = f.UserFactory(email="c@example.org")
    factories.commit()
    with transaction(factories):
        assert users.link_attorney(factories, account.id, "A-7", boss).id == attorney.id
    for external_id, message in [
        ("A-7", "already linked to attorney profile A-7"),
        ("A-8", "already belongs to the account b@example.org"),
        ("99999999999999999999", "No attorney profile has the external id"),
    ]:
        with pytest.raises(AccountRefused, match=message), transaction(factories):
            users.link_attorney(factories, account.id, external_id, boss)
    with pytest.raises(AccountRefused, match="only attorney accounts"), transaction(factories):
        users.link_attorney(factories, coordinator.id, "A-7", boss)
    with transaction(factories):
        assert users.link_attorney(factories, account.id, "", boss) is None
    assert factories.get_one(User, account.id).attorney_id is None
    with pytest.raises(AccountRefused, match="linked to no attorney"), transaction(factories):
        users.link_attorney(factories, account.id, None, boss)
    assert [e.action for e in factories.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "link_attorney",
        "unlink_attorney",
    ]


# --- deactivate, reactivate, the last admin --------------------------------------------------


def test_deactivation_ends_sessions_and_links_and_keeps_the_history(factories):
    boss = admin()
    account = f.UserFactory(email="c@example.org")
    factories.commit()
    with transaction(factories):
        accounts.start_session(factories, account)
        accounts.start_session(factories, account)
        accounts.create_token(factories, account, accounts.TokenPurpose.RESET)
        f.AuditEventFactory(user_id=account.id, actor=account.email, action="sign_in")
    with transaction(factories):
        assert users.deactivate(factories, account.id, boss) == 2
    factories.expire_all()
    assert not factories.get_one(User, account.id).active
    assert all(row.revoked_at is not None for row in factories.scalars(select(UserSession)))
    assert all(token.used_at is not None for token in factories.scalars(select(OneTimeToken)))
    assert [e.details for e in events(factories, "deactivate_user")] == [{"sessions_ended": 2}]
    assert len(events(factories, "sign_in")) == 1  # nothing of its history is removed
    with pytest.raises(AccountRefused, match="already deactivated"), transaction(factories):
        users.deactivate(factories, account.id, boss)
    with transaction(factories):
        users.reactivate(factories, account.id, boss)
    assert factories.get_one(User, account.id).active
    with pytest.raises(AccountRefused, match="already active"), transaction(factories):
        users.reactivate(factories, account.id, boss)


def test_the_last_admin_can_be_neither_deactivated_nor_demoted(factories):
    boss = admin()
    invited = admin("invited@example.org", password_hash=accounts.UNUSABLE_PASSWORD)
    switched_off = admin("off@example.org", active=False)
    factories.commit()
    # Neither an invited admin (no password yet) nor a deactivated one can take over.
    for decide in (
        lambda: users.deactivate(factories, boss.id, boss),
        lambda: users.change_role(factories, boss.id, Role.COORDINATOR, boss),
    ):
        with pytest.raises(AccountRefused, match="you are the last active administrator"):
            with transaction(factories):
                decide()
    assert factories.get_one(User, boss.id).active
    assert factories.get_one(User, boss.id).role == Role.ADMIN
    # An admin who cannot sign in may be switched off or demoted freely.
    with transaction(factories):
        users.deactivate(factories, invited.id, boss)
    with transaction(factories):
        users.change_role(factories, switched_off.id, Role.COORDINATOR, boss)
    # With a second admin who can sign in, one may go, even oneself; then the other stays.
    second = admin("second@example.org")
    factories.commit()
    with transaction(factories):
        users.deactivate(factories, boss.id, boss)
    with pytest.raises(AccountRefused, match="second@example.org is the last active"):
        with transaction(factories):
            users.change_role(factories, second.id, Role.PROGRAM_LEAD, boss)


def _lock_statement(statement: str) -> bool:
    """The statement models.users takes its lock with (PostgreSQL, SQLite)."""
    return ("FOR UPDATE" in statement and statement.startswith("SELECT users.id")) or (
        statement.startswith("UPDATE users SET role=users.role")
    )


def test_two_admins_deactivating_each_other_at_once_leave_one(db: Database, factories):
    """The first holds its transaction open until the second has reached the lock; the second
    waits, then sees the first's decision and is refused."""
    alice, bob = admin("alice@example.org"), admin("bob@example.org")
    factories.commit()
    alice_id, bob_id = alice.id, bob.id
    result, waited = race(
        db,
        lambda session: users.deactivate(session, bob_id, session.get_one(User, alice_id)),
        lambda session: users.deactivate(session, alice_id, session.get_one(User, bob_id)),
        _lock_statement,
    )
    assert waited == [True]
    assert isinstance(result, AccountRefused)
    assert "alice@example.org is the last active administrator" in result.message
    factories.expire_all()
    assert factories.get_one(User, alice_id).active and not factories.get_one(User, bob_id).active


# --- throttling and unlocking ----------------------------------------------------------------


def _fail_sign_ins(session, email: str, times: int) -> None:
    for _ in range(times):
        f.AuditEventFactory(
            actor="anonymous",
            action=accounts.SIGN_IN_FAILED,
            entity_type=accounts.SIGN_IN_ENTITY,
            entity_id=accounts.account_key(email),
            details={"reason": "bad_credentials"},
        )
    session.commit()


def test_unlock_makes_earlier_failures_stop_counting(factories):
    boss = admin()
    owner = f.UserFactory(email="locked@example.org")
    factories.commit()
    _fail_sign_ins(factories, "locked@example.org", accounts.MAX_FAILED_SIGN_INS)
    key = accounts.account_key(" Locked@Example.org")
    assert accounts.is_throttled(accounts.recent_failures(factories, key))
    with transaction(factories):
        assert users.unlock_address(factories, "LOCKED@example.org ", boss) == 5
    assert accounts.recent_failures(factories, key) == 0
    [unlock] = events(factories, accounts.SIGN_IN_UNLOCKED)
    assert (unlock.entity_type, unlock.entity_id) == ("sign_in", key)
    assert unlock.details == {"failures": 5, "user_id": owner.id}
    assert "locked@example.org" not in str(unlock.details)
    # Later failures count again, from zero.
    _fail_sign_ins(factories, "locked@example.org", 2)
    assert accounts.recent_failures(factories, key) == 2
    assert accounts.recent_failures_by_key(factories, [key, "other"]) == {key: 2}


def test_unlock_refuses_an_address_with_nothing_to_unlock(factories):
    boss = admin()
    factories.commit()
    _fail_sign_ins(factories, "old@example.org", 5)
    with transaction(factories):
        for row in factories.scalars(select(AuditEvent)):
            row.at = utcnow() - accounts.FAILED_SIGN_IN_WINDOW - timedelta(minutes=1)
    for email in ("old@example.org", "never@example.org"):
        with pytest.raises(AccountRefused, match="not locked") as refused, transaction(factories):
            users.unlock_address(factories, email, boss)
        assert refused.value.field == "email"
    with pytest.raises(AccountRefused, match="NUL"), transaction(factories):
        users.unlock_address(factories, "a\x00@example.org", boss)
    assert events(factories, accounts.SIGN_IN_UNLOCKED) == []
