from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow


class Dispatch(db.Model):
    """Something that must happen exactly once (a reminder, a digest): its key is unique, so two
    `tick` runs at the same moment cannot both send it."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
