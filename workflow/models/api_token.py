from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow


class ApiToken(db.Model):
    """A bearer token of the JSON API. Only the SHA-256 hash of the token is stored: the token
    itself is shown once, when it is created. A token acts with its user's role and rights."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
