"""The outbox sender against a real SMTP server on loopback (aiosmtpd), and its settings."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from jobs.clock import SEND_MAIL_JOB, Schedule, build_scheduler
from jobs.mailer import MAX_ATTEMPTS, MailSettings, backoff, claim_next, send_due_mail
from models.base import utcnow
from models.entities import OutboxMessage, OutboxStatus
from models.outbox import queue_email
from web.cli import cli


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(port: int) -> MailSettings:
    return MailSettings.from_url(f"smtp://127.0.0.1:{port}", "Counsel Match <cm@example.org>")


@pytest.fixture
def smtp_server(port: int) -> Iterator[Collector]:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector
    controller.stop()


def queue(db, n: int = 1) -> list[int]:
    with db.session() as session, session.begin():
        messages = [
            queue_email(
                session, to=f"a{i}@firm.example", subject=f"Hello {i}", body=f"Body {i}", kind="t"
            )
            for i in range(n)
        ]
        session.flush()
        return [m.id for m in messages]


def rows(db) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due(db) -> None:
    with db.session() as session, session.begin():
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(OutboxMessage).values(next_attempt_at=past))


def test_queued_mail_is_delivered_once(db, settings, smtp_server):
    queue(db, 3)
    report = send_due_mail(db, settings)
    assert (report.sent, report.retrying, report.failed) == (3, 0, 0)
    assert sorted(rcpt for rcpts, _ in smtp_server.messages for rcpt in rcpts) == [
        "a0@firm.example",
        "a1@firm.example",
        "a2@firm.example",
    ]
    assert b"Subject: Hello 0" in smtp_server.messages[0][1]
    assert all(m.status == OutboxStatus.SENT and m.sent_at and m.attempts == 1 for m in rows(db))
    assert send_due_mail(db, settings).sent == 0  # nothing sent twice
    assert len(smtp_server.messages) == 3


def test_server_down_then_up_retries_and_delivers(db, settings, port):
    [message_id] = queue(db)
    report = send_due_mail(db, settings)  # nobody listens on the port
    assert (report.sent, report.retrying, report.stopped_early) == (0, 1, True)
    [row] = rows(db)
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1 and row.sent_at is None
    assert row.last_error and "Body" not in row.last_error
    assert row.next_attempt_at > row.created_at
    assert send_due_mail(db, settings).retrying == 0  # not due yet: left alone

    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        make_due(db)
        assert send_due_mail(db, settings).sent == 1
        make_due(db)
        assert send_due_mail(db, settings).sent == 0
    finally:
        controller.stop()
    assert len(collector.messages) == 1
    [row] = rows(db)
    assert (row.id, row.status, row.attempts) == (message_id, OutboxStatus.SENT, 2)


def test_gives_up_after_the_last_attempt(db, settings):
    queue(db)
    with db.session() as session, session.begin():
        session.execute(update(OutboxMessage).values(attempts=MAX_ATTEMPTS - 1))
    assert send_due_mail(db, settings).failed == 1
    [row] = rows(db)
    assert row.status == OutboxStatus.FAILED and row.attempts == MAX_ATTEMPTS
    make_due(db)
    assert send_due_mail(db, settings).failed == 0  # a failed message is kept, not retried


def test_a_claimed_message_is_not_claimed_again(db):
    queue(db)
    now = utcnow()
    first = claim_next(db, now)
    assert first is not None and first.attempts == 1
    assert claim_next(db, now) is None  # a second sender finds nothing due


def test_without_settings_nothing_is_sent(db):
    queue(db)
    assert send_due_mail(db, None).sent == 0
    [row] = rows(db)
    assert row.status == OutboxStatus.QUEUED and row.attempts == 0


def test_backoff_doubles_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("url", "host", "port", "starttls", "tls", "user"),
    [
        ("smtp://user:p%40ss@mail.example:587", "mail.example", 587, True, False, "user"),
        ("smtp://mail.example", "mail.example", 25, False, False, None),
        ("smtp://mail.example:2525?starttls=yes", "mail.example", 2525, True, False, None),
        ("smtp://mail.example:587?starttls=no", "mail.example", 587, False, False, None),
        ("smtps://mail.example", "mail.example", 465, False, True, None),
    ],
)
def test_settings_from_url(url, host, port, starttls, tls, user):
    s = MailSettings.from_url(url, "cm@example.org")
    assert (s.host, s.port, s.starttls, s.implicit_tls, s.username) == (
        host,
        port,
        starttls,
        tls,
        user,
    )
    assert "p@ss" not in repr(s)


@pytest.mark.parametrize(
    "url", ["http://mail.example", "smtp://", "smtp://h:99999", "smtp://h?starttls=maybe"]
)
def test_bad_settings_are_refused(url):
    with pytest.raises(ValueError):
        MailSettings.from_url(url, "cm@example.org")


def test_clock_sends_mail_every_minute(db, settings):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = build_scheduler(db, Schedule(), BackgroundScheduler, mail=settings)
    job = scheduler.get_job(SEND_MAIL_JOB)
    assert job.trigger.interval == timedelta(minutes=1)
    assert job.max_instances == 1 and job.coalesce is True
    assert job.args == (db, settings)


def test_send_mail_command(runner, db, smtp_server, app, settings):
    queue(db, 2)
    app.config["MAIL"] = settings
    result = runner.invoke(cli, ["send-mail"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output and len(smtp_server.messages) == 2


def test_send_mail_command_without_smtp_url(runner, db):
    queue(db)
    result = runner.invoke(cli, ["send-mail"])
    assert result.exit_code == 1 and "SMTP_URL is not set" in result.output
    assert rows(db)[0].status == OutboxStatus.QUEUED
