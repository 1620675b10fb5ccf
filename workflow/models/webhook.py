from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.types import UTCDateTime, checked_enum, utcnow

GENERIC, TEAMS = "generic", "teams"
RECEIVER_KINDS = {GENERIC: "Allgemein (JSON)", TEAMS: "Microsoft Teams (Adaptive Card)"}
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DELIVERY_STATUSES = {PENDING: "Ausstehend", DELIVERED: "Zugestellt", FAILED: "Aufgegeben"}


class WebhookReceiver(db.Model):
    """A system that is told of every event of the alliance it subscribed to (signed JSON POSTs)."""

    __tablename__ = "webhook_receivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    url: Mapped[str] = mapped_column(sa.String(1000))
    # The shared secret of the HMAC signature (needed in plain to sign; shown to the coordinator).
    secret: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(checked_enum(tuple(RECEIVER_KINDS), "webhook_kind"), default=GENERIC)
    events: Mapped[list] = mapped_column(sa.JSON, default=list)  # event types (see services/webhooks.py)
    active: Mapped[bool] = mapped_column(default=True)
    # Events up to this id have been looked at (deliveries start after the receiver was registered).
    last_event_id: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return RECEIVER_KINDS[self.kind]


class WebhookDelivery(db.Model):
    """One event for one receiver: tried until the receiver answers 2xx, with back-off."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("receiver_id", "event_id"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receiver_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_receivers.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"))
    event_type: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(
        checked_enum(tuple(DELIVERY_STATUSES), "webhook_delivery_status"), default=PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    receiver: Mapped[WebhookReceiver] = relationship()
    event = relationship("Event")

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES[self.status]
