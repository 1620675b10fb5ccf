from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow


class IntegrityCheck(db.Model):
    """One run of verify-log (by the command or by `tick` at night) and its result, in the
    database, so that every node shows the coordinators the same last check."""

    __tablename__ = "integrity_checks"
    __table_args__ = (sa.Index("ix_integrity_checks_ok_finished", "ok", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_by: Mapped[str] = mapped_column(sa.String(100))  # "tick" or "verify-log", and the host
    ok: Mapped[bool]
    events: Mapped[int] = mapped_column(sa.BigInteger)
    rows: Mapped[int] = mapped_column(sa.BigInteger)
    problem: Mapped[str | None] = mapped_column(sa.Text)
    # The alliance whose record the problem is in (None: none, or no alliance's own): only its
    # coordinators read the details.
    alliance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alliances.id"))
