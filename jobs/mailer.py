"""Sending the e-mail outbox over SMTP (DESIGN.md "E-mail"): a job of the clock process and
`counselmatch send-mail`.

Each message is claimed in its own transaction before it is sent: the claim counts the attempt
and moves `next_attempt_at` past the time a send can take, so a second sender (another clock, the
command run by hand) skips it. The outcome is written in a second transaction: sent; or the
error (never the body) and a retry after 1, 2, 4, ... minutes (capped at an hour); or, after
MAX_ATTEMPTS, failed. A message is never deleted. Only a crash between the SMTP server accepting
a message and the outcome being written can send it again (after the claim lapses): at least
once, never lost.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select, update

from models.base import utcnow
from models.db import Database
from models.entities import OutboxMessage, OutboxStatus

log = logging.getLogger("counselmatch.mailer")

MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(hours=1)
# Longer than any send can take (connect and send time out after SMTP_TIMEOUT_S each).
CLAIM_FOR = timedelta(minutes=10)
SMTP_TIMEOUT_S = 30.0
MESSAGES_PER_PASS = 200
MAX_ERROR_LENGTH = 500
# Errors about one message (its sender, recipients or content): the pass goes on with the next.
# Any other error (the server cannot be reached, refuses to talk, drops the line) would fail the
# rest of the pass the same way, so the pass stops there; only the message tried counts it.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom to send: parsed from SMTP_URL and SMTP_FROM (web/config.py)."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    implicit_tls: bool = False
    timeout_s: float = SMTP_TIMEOUT_S

    @classmethod
    def from_url(cls, url: str, sender: str) -> MailSettings:
        """`smtp://[user:pass@]host[:port][?starttls=yes|no]` or `smtps://...` (TLS from the
        start). smtp:// uses STARTTLS on port 587 unless `starttls=no`, and on any port with
        `starttls=yes`. ValueError says what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("use smtp://host:port or smtps://host:port")
        if not parts.hostname:
            raise ValueError("the URL names no host")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ValueError("the port is not a number from 1 to 65535") from None
        choice = parse_qs(parts.query).get("starttls", [""])[-1].lower()
        if choice not in ("", "yes", "no"):
            raise ValueError("write starttls=yes or starttls=no")
        starttls = parts.scheme == "smtp" and (choice == "yes" or (choice == "" and port == 587))
        if not sender or "@" not in sender:
            raise ValueError("SMTP_FROM must be an address like 'Counsel Match <cm@example.org>'")
        return cls(
            host=parts.hostname,
            port=port,
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            starttls=starttls,
            implicit_tls=parts.scheme == "smtps",
        )

    def __repr__(self) -> str:  # never show the password in logs or tracebacks
        return (
            f"MailSettings(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"starttls={self.starttls}, implicit_tls={self.implicit_tls})"
        )


@dataclass(frozen=True)
class Claimed:
    """A message taken for one attempt (read before its transaction ended)."""

    id: int
    to: str
    subject: str
    body: str
    attempts: int  # including this one


@dataclass(frozen=True)
class PassReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    stopped_early: bool = False


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed tries: 1, 2, 4, ... minutes."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 20)), MAX_BACKOFF)


def claim_next(database: Database, now: datetime) -> Claimed | None:
    """Claim the oldest due queued message in its own transaction; None when none is due."""
    with database.session() as session, session.begin():
        message = session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
            .where(OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if message is None:
            return None
        # Compare-and-set: only the sender that still sees it due takes it (SQLite has no row
        # locks; on PostgreSQL the row lock already keeps others away).
        taken = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.status == OutboxStatus.QUEUED,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM_FOR, attempts=OutboxMessage.attempts + 1),
            execution_options={"synchronize_session": False},
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return Claimed(
            id=message.id,
            to=message.to_address,
            subject=message.subject,
            body=message.body,
            attempts=message.attempts + 1,
        )


def record_sent(database: Database, claimed: Claimed) -> None:
    with database.session() as session, session.begin():
        message = session.get_one(OutboxMessage, claimed.id)
        message.status = OutboxStatus.SENT
        message.sent_at = utcnow()


def record_failure(database: Database, claimed: Claimed, error: BaseException) -> OutboxStatus:
    """Write the error (its type and text, never the body) and when to try again."""
    described = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    with database.session() as session, session.begin():
        message = session.get_one(OutboxMessage, claimed.id)
        message.last_error = described
        if claimed.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
        else:
            message.next_attempt_at = utcnow() + backoff(claimed.attempts)
        return message.status


def compose(claimed: Claimed, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = claimed.to
    email["Subject"] = claimed.subject
    email["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].strip(" >") or "counselmatch.invalid"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{claimed.id}", domain=domain)
    email.set_content(claimed.body)
    return email


class Connection:
    """One SMTP connection for a pass, opened at the first message."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        self.smtp.send_message(email)

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.implicit_tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            if s.starttls:
                smtp.starttls(context=context)
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def send_due_mail(
    database: Database, settings: MailSettings | None, *, limit: int = MESSAGES_PER_PASS
) -> PassReport:
    """One pass: send the queued messages whose time has come (at most `limit`).

    Without settings (SMTP_URL unset) nothing is sent and the messages stay queued.
    """
    if settings is None:
        return PassReport()
    sent = retrying = failed = 0
    stopped_early = False
    connection = Connection(settings)
    try:
        for _ in range(limit):
            claimed = claim_next(database, utcnow())
            if claimed is None:
                break
            try:
                connection.send(compose(claimed, settings.sender))
            except (smtplib.SMTPException, OSError) as error:
                status = record_failure(database, claimed, error)
                log.warning(
                    "e-mail %s not sent (attempt %d, now %s): %s",
                    claimed.id,
                    claimed.attempts,
                    status.value,
                    type(error).__name__,
                )
                if status == OutboxStatus.FAILED:
                    failed += 1
                else:
                    retrying += 1
                if not isinstance(error, MESSAGE_ERRORS):
                    stopped_early = True
                    break
            else:
                record_sent(database, claimed)
                sent += 1
    finally:
        connection.close()
    if sent or retrying or failed:
        log.info("e-mail pass: %d sent, %d to retry, %d failed", sent, retrying, failed)
    return PassReport(sent=sent, retrying=retrying, failed=failed, stopped_early=stopped_early)


def send_mail_job(database: Database, settings: MailSettings | None) -> None:
    """The clock's every-minute job; an error is logged, never raised into the scheduler."""
    try:
        send_due_mail(database, settings)
    except Exception:
        log.exception("e-mail pass failed; queued messages stay queued")
