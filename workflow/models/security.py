from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow


class LoginFailure(db.Model):
    """A failed login (password or second factor), or a requested sign-in link, by account and by
    address, for throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300))  # "[link-]account:<email>" or "[link-]address:<ip>"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
