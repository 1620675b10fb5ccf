from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.types import UTCDateTime, checked_enum, utcnow


class Notification(db.Model):
    """An in-app notification of one person (read or unread).

    One that asks the person to act (`needs_action`) counts on its own until it is read or done:
    done (`resolved_at`) when the application has left the state that asked for it
    (`awaits_state`) or the person's organisation acted (a ballot cast). One that only informs is
    grouped with others of its kind, or held for the person's daily digest (`held`), as they chose
    (NotificationPreference).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_application_awaits", "application_id", "awaits_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(40), default="info", server_default="info")
    needs_action: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    awaits_state: Mapped[str | None] = mapped_column(sa.String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class NotificationPreference(db.Model):
    """How a person wants notifications of one kind that need no action: at once, or collected
    in the daily digest. Without a row, the default of their role applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    delivery: Mapped[str] = mapped_column(checked_enum(("immediate", "digest"), "notification_delivery"))


class OutgoingMail(db.Model):
    """The mail outbox: written in the same transaction as the action that causes the mail, sent
    by the sender process (`send-mail --loop`, and at the end of `tick`), retried with back-off
    while the mail server fails. A sender claims a batch before sending it (services/mail.py)."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (sa.Index("ix_outgoing_mails_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # The sender that holds this mail, and until when (a lease: a sender that died gives it up).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
