"""Sending the outbox through SMTP, in its own process: `flask --app wsgi send-mail --loop` (the
unit deploy/systemd/antragsweg-mailer.service) sends what actions queued within seconds. No request
ever talks to the mail server, and an action never waits for it or is rolled back by it: the mail
was written into the outbox in the action's transaction and waits there until it is sent.

Several senders (one per node) may run at once: each claims a batch first (a lease in
`claimed_by`/`claimed_until`, taken by one UPDATE that skips rows another sender holds), sends it
and marks the batch sent, so every mail goes out once. A sender that dies mid-batch leaves its
lease to expire and the next one sends what it had not marked (mails of that batch that had
reached the mail server then arrive twice: at most one batch, and only when a sender is killed).
"""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import socket
import ssl
import threading
import time
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app

from workflow.extensions import db
from workflow.models.notification import OutgoingMail
from workflow.models.types import utcnow
from workflow.services import mail_content

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 20
# Longer than a batch can take with a mail server that answers nothing (BATCH × MAIL_TIMEOUT).
LEASE = timedelta(minutes=10)


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def _message(mail: OutgoingMail) -> EmailMessage:
    message = mail_content.message_of(mail.body)  # plain text, or a multipart's MIME source
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="antragsweg")
    return message


def _due(now):
    return sa.and_(
        OutgoingMail.sent_at.is_(None),
        OutgoingMail.next_attempt_at <= now,
        OutgoingMail.attempts < MAX_ATTEMPTS,
        sa.or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
    )


def claim(limit: int = BATCH) -> list[OutgoingMail]:
    """Take a lease on up to `limit` due mails for this sender and commit it; returns them.

    One UPDATE whose subquery skips rows locked by another sender's claim (PostgreSQL: FOR UPDATE
    SKIP LOCKED; SQLite has one writer at a time, so the UPDATE is atomic anyway)."""
    now = utcnow()
    token = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    chosen = (
        sa.select(OutgoingMail.id)
        .where(_due(now))
        .order_by(OutgoingMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        sa.update(OutgoingMail)
        .where(OutgoingMail.id.in_(chosen.scalar_subquery()), _due(now))
        .values(claimed_by=token, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(OutgoingMail).where(OutgoingMail.claimed_by == token).order_by(OutgoingMail.id)
        )
    )


def send_pending(limit: int = 100) -> int:
    """Send what is due in the outbox, in claimed batches; returns how many went out."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    sent = 0
    while limit > 0:
        batch = claim(min(limit, BATCH))
        if not batch:
            break
        limit -= len(batch)
        sent += _send_batch(batch)
    return sent


def _send_batch(batch: list[OutgoingMail]) -> int:
    clock = time.perf_counter()
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as error:
        for mail in batch:
            _failed(mail, error)
        db.session.commit()
        _log_run(0, len(batch), clock)
        return 0
    sent = 0
    with smtp:
        for mail in batch:
            try:
                smtp.send_message(_message(mail))
            except (OSError, smtplib.SMTPException) as error:
                _failed(mail, error)
            else:
                mail.sent_at = utcnow()
                mail.attempts += 1
                mail.claimed_until = None
                sent += 1
    db.session.commit()  # one commit per batch: a commit per mail made sending disk-bound
    _log_run(sent, len(batch) - sent, clock)
    return sent


def _log_run(sent: int, failed: int, clock: float) -> None:
    log.log(
        logging.WARNING if failed else logging.INFO,
        "mail sent",
        extra={"sent": sent, "failed": failed, "duration_ms": round((time.perf_counter() - clock) * 1000)},
    )


def _failed(mail: OutgoingMail, error: Exception) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    mail.next_attempt_at = utcnow() + timedelta(minutes=2 ** min(mail.attempts, 8))
    # The address stays out of the log (personal data the log cannot erase); the id finds it.
    log.warning(
        "mail %s not sent (attempt %s): %s",
        mail.id,
        mail.attempts,
        type(error).__name__,
        extra={"mail_id": mail.id, "attempt": mail.attempts, "error": type(error).__name__},
    )
    mail.claimed_until = None


def run_sender(interval: float = 2.0, stop: threading.Event | None = None) -> int:
    """Send the outbox until stopped (SIGTERM or SIGINT end it after the mail in hand); returns how
    many went out. Looks again every `interval` seconds when nothing is due."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    total = 0
    while not stop.is_set():
        try:
            sent = send_pending(limit=BATCH)
        except Exception:  # noqa: BLE001 - the database went away for a moment: try again
            log.exception("sending the outbox failed")
            db.session.rollback()
            sent = 0
        finally:
            db.session.remove()
        total += sent
        if not sent:
            stop.wait(interval)
    return total
