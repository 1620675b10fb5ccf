"""Sending the outbox through SMTP. Never inside the action's transaction: a failing mail server
never loses or rolls back what the person did; the mail waits and `tick` tries again."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app

from workflow.extensions import db
from workflow.models.notification import OutgoingMail
from workflow.models.types import utcnow
from workflow.services.jobs import periodic

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


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
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="antragsweg")
    message.set_content(mail.body)
    return message


def send_pending(limit: int = 100) -> int:
    """Send what is due in the outbox; returns how many went out."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    now = utcnow()
    pending = list(
        db.session.scalars(
            sa.select(OutgoingMail)
            .where(
                OutgoingMail.sent_at.is_(None),
                OutgoingMail.next_attempt_at <= now,
                OutgoingMail.attempts < MAX_ATTEMPTS,
            )
            .order_by(OutgoingMail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not pending:
        db.session.rollback()
        return 0
    sent, clock = 0, time.perf_counter()
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as error:
        for mail in pending:
            _failed(mail, error)
        db.session.commit()
        _log_run(0, len(pending), clock)
        return 0
    with smtp:
        for mail in pending:
            try:
                smtp.send_message(_message(mail))
            except (OSError, smtplib.SMTPException) as error:
                _failed(mail, error)
            else:
                mail.sent_at = utcnow()
                mail.attempts += 1
                sent += 1
    db.session.commit()
    _log_run(sent, len(pending) - sent, clock)
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


@periodic("mail")
def _send_outbox() -> int:
    return send_pending()
