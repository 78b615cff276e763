"""/admin/outbox, both backends: each message's status, attempts and error; resending a failed
one (audited, then sent by the mailer's next pass); what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixtures import factories as f
from jobs.mailer import MAX_ATTEMPTS, claim_next
from models import AuditEvent, Role
from models.base import utcnow
from models.entities import OutboxMessage, OutboxStatus

from .conftest import csrf_token, flash_messages, text_of


@pytest.fixture
def messages(factories, signed_in):
    signed_in(Role.ADMIN)
    made = {
        "queued": f.OutboxMessageFactory(to_address="queued@probono.example"),
        "sent": f.OutboxMessageFactory(status=OutboxStatus.SENT, attempts=1),
        "failed": f.OutboxMessageFactory(
            status=OutboxStatus.FAILED,
            attempts=MAX_ATTEMPTS,
            last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
            to_address="gone@probono.example",
        ),
    }
    factories.commit()
    return {name: message.id for name, message in made.items()}


def row_of(html: str, message_id: int) -> str:
    row = html[html.index(f'<tr data-message="{message_id}">') :]
    return row[: row.index("</tr>")]


def test_the_page_shows_status_attempts_and_error_and_resends_only_failed(client, messages):
    html = text_of(client.get("/admin/outbox"))
    failed = row_of(html, messages["failed"])
    assert 'data-status="failed"' in failed and f'<td class="num">{MAX_ATTEMPTS}</td>' in failed
    assert "550 mailbox unavailable" in failed
    assert f"/admin/outbox/{messages['failed']}/resend" in failed
    assert "/resend" not in row_of(html, messages["sent"])
    assert "/resend" not in row_of(html, messages["queued"])


def test_resending_queues_it_for_a_fresh_round_and_is_audited(client, messages, factories, db):
    token = csrf_token(client.get("/admin/outbox"))
    response = client.post(
        f"/admin/outbox/{messages['failed']}/resend", data={"csrf_token": token, "page": "1"}
    )
    assert response.status_code == 302
    shown = flash_messages(client.get(response.headers["Location"]))
    assert shown == [
        f"E-mail {messages['failed']} to gone@probono.example queued again; it is tried "
        "once SMTP_URL is set."
    ]
    factories.expire_all()
    message = factories.get_one(OutboxMessage, messages["failed"])
    assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 0)
    event = factories.scalars(select(AuditEvent).where(AuditEvent.action == "outbox_resent")).one()
    assert event.entity_id == str(messages["failed"])
    assert event.details["attempts_before"] == MAX_ATTEMPTS
    assert "550" in event.details["last_error"]
    # The mailer's next pass takes it, with every retry ahead of it again.
    claimed = [claim_next(db, utcnow()) for _ in range(3)]
    assert [(c.id, c.attempts) for c in claimed if c] == [
        (messages["queued"], 1),
        (messages["failed"], 1),
    ]


def test_a_message_that_did_not_fail_is_not_resent(client, messages, factories):
    token = csrf_token(client.get("/admin/outbox"))
    for name, why in (("sent", "it was sent already"), ("queued", "it is queued")):
        response = client.post(f"/admin/outbox/{messages[name]}/resend", data={"csrf_token": token})
        assert why in flash_messages(client.get(response.headers["Location"]))[0]
    factories.expire_all()
    assert factories.get_one(OutboxMessage, messages["sent"]).status == OutboxStatus.SENT
    assert factories.scalar(select(AuditEvent).where(AuditEvent.action == "outbox_resent")) is None


@pytest.mark.parametrize("message_id", ["2147483648", "9223372036854775808", "999999"])
def test_an_id_out_of_range_or_unknown_is_a_404(client, messages, message_id):
    token = csrf_token(client.get("/admin/outbox"))
    response = client.post(f"/admin/outbox/{message_id}/resend", data={"csrf_token": token})
    assert response.status_code == 404


def test_resend_needs_the_csrf_token(client, messages, factories):
    response = client.post(f"/admin/outbox/{messages['failed']}/resend")
    assert response.status_code == 400
    factories.expire_all()
    assert factories.get_one(OutboxMessage, messages["failed"]).status == OutboxStatus.FAILED
